package dev.hyperattention4j.llm.runtime;

import dev.hyperattention4j.llm.model.RopeScaling;
import dev.hyperattention4j.llm.model.RopeStyle;

/**
 * Rotary position embedding with precomputed cos/sin tables for positions {@code [0, positions)}, over the first
 * {@code rotaryDims} dimensions of each head (the rest pass through, as phi and ChatGLM do). Frequency i is
 * {@code theta^(-2i/rotaryDims)}, rescaled by the model's {@link RopeScaling}; {@link RopeStyle#INTERLEAVED} rotates
 * pairs (2i, 2i+1) (llama2.c, GGUF llama, ChatGLM), {@link RopeStyle#ROTATE_HALF} pairs (i, i + rotaryDims/2)
 * (Hugging Face, GGUF qwen2 and phi2). Frequencies and angles are computed in double, then rounded, so long
 * positions stay accurate.
 *
 * <p>Dynamic NTK scaling depends on the length of the sequence: {@link #prepare} rewrites the table entries of the
 * positions a forward call is about to rotate with the base for that call's end position (keys cached earlier keep
 * their rotation, as in Hugging Face's dynamic rotary embedding).
 */
public final class Rope {
    private final RopeStyle style;
    private final int headDim;
    private final int half;
    private final double theta;
    private final RopeScaling scaling;
    private final float[] cos;
    private final float[] sin;

    public Rope(RopeStyle style, int headDim, double theta, int positions) {
        this(style, headDim, headDim, theta, RopeScaling.NONE, positions);
    }

    public Rope(RopeStyle style, int headDim, int rotaryDims, double theta, RopeScaling scaling, int positions) {
        if (rotaryDims <= 0 || rotaryDims % 2 != 0 || rotaryDims > headDim) {
            throw new IllegalArgumentException("rotary dims " + rotaryDims + " must be even and in (0, " + headDim
                    + "]");
        }
        if (scaling.type() == RopeScaling.Type.DIVISORS && scaling.divisors().length != rotaryDims / 2) {
            throw new IllegalArgumentException("rope frequency divisors: " + scaling.divisors().length
                    + " entries for " + rotaryDims / 2 + " rotary frequencies");
        }
        this.style = style;
        this.headDim = headDim;
        this.half = rotaryDims / 2;
        this.theta = theta;
        this.scaling = scaling;
        this.cos = new float[positions * half];
        this.sin = new float[positions * half];
        fill(0, positions, inverseFrequencies(theta, rotaryDims, scaling, 0));
    }

    /**
     * Inverse frequencies (radians per position) of the {@code rotaryDims/2} pairs under {@code scaling};
     * {@code sequenceLength} matters only for dynamic NTK scaling.
     */
    public static double[] inverseFrequencies(double theta, int rotaryDims, RopeScaling scaling, int sequenceLength) {
        int n = rotaryDims / 2;
        double base = theta;
        if (scaling.type() == RopeScaling.Type.DYNAMIC && sequenceLength > scaling.originalContext()) {
            double f = scaling.factor();
            base = theta * Math.pow(f * sequenceLength / scaling.originalContext() - (f - 1),
                    rotaryDims / (rotaryDims - 2.0));
        }
        double[] inv = new double[n];
        for (int i = 0; i < n; i++) {
            inv[i] = Math.pow(base, -2.0 * i / rotaryDims);
        }
        switch (scaling.type()) {
            case NONE, DYNAMIC -> { }
            case LINEAR -> {
                for (int i = 0; i < n; i++) {
                    inv[i] /= scaling.factor();
                }
            }
            case DIVISORS -> {
                float[] d = scaling.divisors();
                for (int i = 0; i < n; i++) {
                    inv[i] /= d[i];
                }
            }
            case LLAMA3 -> {
                double orig = scaling.originalContext();
                double lowWavelength = orig / scaling.lowFreqFactor();
                double highWavelength = orig / scaling.highFreqFactor();
                for (int i = 0; i < n; i++) {
                    double wavelength = 2 * Math.PI / inv[i];
                    if (wavelength > lowWavelength) {
                        inv[i] /= scaling.factor();
                    } else if (wavelength >= highWavelength) {
                        double smooth = (orig / wavelength - scaling.lowFreqFactor())
                                / (scaling.highFreqFactor() - scaling.lowFreqFactor());
                        inv[i] = (1 - smooth) * inv[i] / scaling.factor() + smooth * inv[i];
                    }
                }
            }
            case YARN -> {
                double low = Math.max(0, Math.floor(yarnCorrectionDim(scaling.betaFast(), rotaryDims, theta,
                        scaling.originalContext())));
                double high = Math.min(rotaryDims - 1, Math.ceil(yarnCorrectionDim(scaling.betaSlow(), rotaryDims,
                        theta, scaling.originalContext())));
                double span = Math.max(high - low, 0.001);
                for (int i = 0; i < n; i++) {
                    double ramp = Math.clamp((i - low) / span, 0.0, 1.0); // 0: extrapolate, 1: interpolate
                    inv[i] = inv[i] / scaling.factor() * ramp + inv[i] * (1 - ramp);
                }
            }
        }
        return inv;
    }

    /** The (fractional) dimension index whose wavelength fits {@code rotations} times in the original context. */
    private static double yarnCorrectionDim(double rotations, int dims, double theta, int originalContext) {
        return dims * Math.log(originalContext / (rotations * 2 * Math.PI)) / (2 * Math.log(theta));
    }

    private void fill(int from, int to, double[] inv) {
        double magnitude = scaling.attentionFactor();
        for (int p = from; p < to; p++) {
            for (int i = 0; i < half; i++) {
                double angle = p * inv[i];
                cos[p * half + i] = (float) (Math.cos(angle) * magnitude);
                sin[p * half + i] = (float) (Math.sin(angle) * magnitude);
            }
        }
    }

    /**
     * Called before a forward call rotates positions {@code [from, to)}: with dynamic NTK scaling, rewrites their
     * entries for a sequence of length {@code to}. Does nothing for the other scalings.
     */
    public void prepare(int from, int to) {
        if (scaling.type() == RopeScaling.Type.DYNAMIC) {
            fill(from, to, inverseFrequencies(theta, 2 * half, scaling, to));
        }
    }

    public int positions() {
        return cos.length / half;
    }

    public int rotaryDims() {
        return 2 * half;
    }

    /** Rotates {@code heads} consecutive heads stored at {@code buf[off ..]} for position {@code pos}. */
    public void apply(float[] buf, int off, int heads, int pos) {
        int t = pos * half;
        for (int h = 0; h < heads; h++) {
            int base = off + h * headDim;
            if (style == RopeStyle.INTERLEAVED) {
                for (int i = 0; i < half; i++) {
                    float c = cos[t + i], s = sin[t + i];
                    float a = buf[base + 2 * i], b = buf[base + 2 * i + 1];
                    buf[base + 2 * i] = a * c - b * s;
                    buf[base + 2 * i + 1] = a * s + b * c;
                }
            } else {
                for (int i = 0; i < half; i++) {
                    float c = cos[t + i], s = sin[t + i];
                    float a = buf[base + i], b = buf[base + half + i];
                    buf[base + i] = a * c - b * s;
                    buf[base + half + i] = a * s + b * c;
                }
            }
        }
    }
}

package dev.hyperattention4j.llm.runtime;

import dev.hyperattention4j.llm.model.RopeStyle;

/**
 * Rotary position embedding with precomputed cos/sin tables for positions {@code [0, positions)}. Frequency i of a
 * head is {@code theta^(-2i/headDim)}; {@link RopeStyle#INTERLEAVED} rotates pairs (2i, 2i+1) (llama2.c, GGUF
 * llama), {@link RopeStyle#ROTATE_HALF} rotates pairs (i, i + headDim/2) (Hugging Face). Angles are computed in
 * double precision, then rounded, so long positions stay accurate.
 */
public final class Rope {
    private final RopeStyle style;
    private final int headDim;
    private final int half;
    private final float[] cos;
    private final float[] sin;

    public Rope(RopeStyle style, int headDim, double theta, int positions) {
        this.style = style;
        this.headDim = headDim;
        this.half = headDim / 2;
        this.cos = new float[positions * half];
        this.sin = new float[positions * half];
        for (int i = 0; i < half; i++) {
            double freq = Math.pow(theta, -2.0 * i / headDim);
            for (int p = 0; p < positions; p++) {
                double angle = p * freq;
                cos[p * half + i] = (float) Math.cos(angle);
                sin[p * half + i] = (float) Math.sin(angle);
            }
        }
    }

    public int positions() {
        return cos.length / half;
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

package dev.hyperattention4j.llm.model;

import java.util.Arrays;

/**
 * How a model rescales its rotary frequencies to run past the context it was trained on. Every field is in the units
 * of Hugging Face's {@code rope_scaling}; the GGUF loader translates llama.cpp's keys into the same record.
 *
 * <ul>
 *   <li>{@link Type#NONE}: frequency i of a head is {@code theta^(-2i/rotaryDims)}.</li>
 *   <li>{@link Type#LINEAR}: positions divided by {@code factor} (every frequency divided by it).</li>
 *   <li>{@link Type#DYNAMIC}: NTK-aware: once a sequence of length {@code L} exceeds {@code originalContext}, the base
 *       becomes {@code theta·(factor·L/originalContext − (factor − 1))^(d/(d−2))} for the tokens of that call.</li>
 *   <li>{@link Type#YARN}: per frequency, a ramp between interpolation (divided by {@code factor}) and extrapolation
 *       (unchanged) over the dimensions whose wavelength is between {@code originalContext/betaFast} and
 *       {@code originalContext/betaSlow} rotations, and cos/sin multiplied by {@code attentionFactor}.</li>
 *   <li>{@link Type#LLAMA3}: wavelengths shorter than {@code originalContext/highFreqFactor} unchanged, longer than
 *       {@code originalContext/lowFreqFactor} divided by {@code factor}, a smooth blend between.</li>
 *   <li>{@link Type#DIVISORS}: every frequency divided by its entry of {@code divisors} (GGUF's {@code rope_freqs}
 *       tensor, how llama.cpp's converter stores llama3 scaling).</li>
 * </ul>
 *
 * @param factor          the context extension factor (1 for NONE and DIVISORS)
 * @param originalContext the pre-training context length (0 when the type does not use it)
 * @param lowFreqFactor   llama3 only
 * @param highFreqFactor  llama3 only
 * @param betaFast        YaRN only: rotations at which the ramp starts (extrapolation side)
 * @param betaSlow        YaRN only: rotations at which the ramp ends (interpolation side)
 * @param attentionFactor YaRN only: the magnitude of cos/sin (1 elsewhere)
 * @param divisors        DIVISORS only: one divisor per rotary frequency
 */
public record RopeScaling(Type type, double factor, int originalContext, double lowFreqFactor, double highFreqFactor,
                          double betaFast, double betaSlow, double attentionFactor, float[] divisors) {
    public enum Type { NONE, LINEAR, DYNAMIC, YARN, LLAMA3, DIVISORS }

    public static final RopeScaling NONE = new RopeScaling(Type.NONE, 1, 0, 0, 0, 0, 0, 1, null);

    public RopeScaling {
        if (type == null) {
            throw new IllegalArgumentException("rope scaling type must be set");
        }
        if (!(factor >= 1) || Double.isInfinite(factor)) {
            throw new IllegalArgumentException("rope scaling factor must be a finite number >= 1, got " + factor);
        }
        if (!(attentionFactor > 0) || Double.isInfinite(attentionFactor)) {
            throw new IllegalArgumentException("rope scaling attention factor must be finite and > 0, got "
                    + attentionFactor);
        }
        boolean needsOriginal = type == Type.DYNAMIC || type == Type.YARN || type == Type.LLAMA3;
        if (needsOriginal && originalContext <= 0) {
            throw new IllegalArgumentException("rope scaling " + type + " needs the original context length, got "
                    + originalContext);
        }
        if (type == Type.LLAMA3 && !(lowFreqFactor > 0 && highFreqFactor > lowFreqFactor
                && Double.isFinite(highFreqFactor))) {
            throw new IllegalArgumentException("llama3 rope scaling needs 0 < low_freq_factor < high_freq_factor, got "
                    + lowFreqFactor + " and " + highFreqFactor);
        }
        if (type == Type.YARN && !(betaFast > betaSlow && betaSlow > 0 && Double.isFinite(betaFast))) {
            throw new IllegalArgumentException("yarn rope scaling needs beta_fast > beta_slow > 0, got " + betaFast
                    + " and " + betaSlow);
        }
        if (type == Type.DIVISORS) {
            if (divisors == null || divisors.length == 0) {
                throw new IllegalArgumentException("rope frequency divisors are missing");
            }
            for (int i = 0; i < divisors.length; i++) {
                if (!(divisors[i] > 0) || Float.isInfinite(divisors[i])) {
                    throw new IllegalArgumentException("rope frequency divisor " + i + " must be finite and > 0, got "
                            + divisors[i]);
                }
            }
            divisors = divisors.clone();
        } else if (divisors != null) {
            throw new IllegalArgumentException("rope frequency divisors only go with type DIVISORS");
        }
    }

    public static RopeScaling linear(double factor) {
        return new RopeScaling(Type.LINEAR, factor, 0, 0, 0, 0, 0, 1, null);
    }

    public static RopeScaling dynamic(double factor, int originalContext) {
        return new RopeScaling(Type.DYNAMIC, factor, originalContext, 0, 0, 0, 0, 1, null);
    }

    /** YaRN with Hugging Face's default attention factor {@code 0.1·ln(factor) + 1}. */
    public static RopeScaling yarn(double factor, int originalContext, double betaFast, double betaSlow) {
        return yarn(factor, originalContext, betaFast, betaSlow, defaultYarnAttention(factor));
    }

    public static RopeScaling yarn(double factor, int originalContext, double betaFast, double betaSlow,
                                   double attentionFactor) {
        return new RopeScaling(Type.YARN, factor, originalContext, 0, 0, betaFast, betaSlow, attentionFactor, null);
    }

    public static RopeScaling llama3(double factor, int originalContext, double lowFreqFactor, double highFreqFactor) {
        return new RopeScaling(Type.LLAMA3, factor, originalContext, lowFreqFactor, highFreqFactor, 0, 0, 1, null);
    }

    public static RopeScaling divisors(float[] divisors) {
        return new RopeScaling(Type.DIVISORS, 1, 0, 0, 0, 0, 0, 1, divisors);
    }

    /** YaRN's magnitude correction {@code 0.1·ln(factor) + 1} (1 for factor <= 1). */
    public static double defaultYarnAttention(double factor) {
        return factor <= 1 ? 1 : 0.1 * Math.log(factor) + 1;
    }

    @Override
    public float[] divisors() {
        return divisors == null ? null : divisors.clone();
    }

    /** One line for {@code inspect} and error messages. */
    public String describe() {
        return switch (type) {
            case NONE -> "none";
            case LINEAR -> "linear, factor " + factor;
            case DYNAMIC -> "dynamic NTK, factor " + factor + ", original context " + originalContext;
            case YARN -> "yarn, factor " + factor + ", original context " + originalContext + ", beta_fast " + betaFast
                    + ", beta_slow " + betaSlow + ", attention factor " + (float) attentionFactor;
            case LLAMA3 -> "llama3, factor " + factor + ", original context " + originalContext + ", low_freq_factor "
                    + lowFreqFactor + ", high_freq_factor " + highFreqFactor;
            case DIVISORS -> "frequency divisors (rope_freqs, " + divisors.length + " entries)";
        };
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RopeScaling r && r.type == type && r.factor == factor
                && r.originalContext == originalContext && r.lowFreqFactor == lowFreqFactor
                && r.highFreqFactor == highFreqFactor && r.betaFast == betaFast && r.betaSlow == betaSlow
                && r.attentionFactor == attentionFactor && Arrays.equals(r.divisors, divisors);
    }

    @Override
    public int hashCode() {
        return type.hashCode() * 31 + Double.hashCode(factor) * 17 + Arrays.hashCode(divisors);
    }

    @Override
    public String toString() {
        return describe();
    }
}

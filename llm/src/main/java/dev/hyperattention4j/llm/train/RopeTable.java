package dev.hyperattention4j.llm.train;

import dev.hyperattention4j.llm.model.ModelConfig;
import dev.hyperattention4j.llm.model.RopeScaling;
import dev.hyperattention4j.llm.model.RopeStyle;
import dev.hyperattention4j.llm.runtime.Rope;

/**
 * Rotary position embedding for a training window that starts at position 0, with the runtime's frequencies
 * ({@link Rope#inverseFrequencies}, including every {@link RopeScaling}: dynamic NTK uses the window's length as
 * the sequence length, as a prompt of that length does at inference). The rotation of pair (a, b) by angle θ with
 * magnitude m (YaRN's attention factor, else 1) is {@code (a·c − b·s, a·s + b·c)} with {@code c = m·cos θ},
 * {@code s = m·sin θ}; its gradient is the transposed map {@code (da·c + db·s, −da·s + db·c)}.
 */
final class RopeTable {
    private final RopeStyle style;
    private final int headDim;
    private final int half;
    private final float[] cos;
    private final float[] sin;

    RopeTable(ModelConfig c, int length) {
        this.style = c.ropeStyle();
        this.headDim = c.headDim();
        this.half = c.rotaryDims() / 2;
        double[] inv = Rope.inverseFrequencies(c.ropeTheta(), c.rotaryDims(), c.ropeScaling(), length);
        double magnitude = c.ropeScaling().attentionFactor();
        this.cos = new float[length * half];
        this.sin = new float[length * half];
        for (int p = 0; p < length; p++) {
            for (int i = 0; i < half; i++) {
                double angle = p * inv[i];
                cos[p * half + i] = (float) (StrictMath.cos(angle) * magnitude);
                sin[p * half + i] = (float) (StrictMath.sin(angle) * magnitude);
            }
        }
    }

    int length() {
        return cos.length / half;
    }

    /** Rotates {@code heads} heads at {@code buf[off ..]} for position {@code pos}. */
    void forward(float[] buf, int off, int heads, int pos) {
        rotate(buf, off, heads, pos, 1f);
    }

    /** The gradient: rotates back by the same angle (the transpose of the forward map). */
    void backward(float[] grad, int off, int heads, int pos) {
        rotate(grad, off, heads, pos, -1f);
    }

    private void rotate(float[] buf, int off, int heads, int pos, float direction) {
        int t = pos * half;
        for (int h = 0; h < heads; h++) {
            int base = off + h * headDim;
            for (int i = 0; i < half; i++) {
                float c = cos[t + i], s = direction * sin[t + i];
                int ia = style == RopeStyle.INTERLEAVED ? base + 2 * i : base + i;
                int ib = style == RopeStyle.INTERLEAVED ? ia + 1 : base + half + i;
                float a = buf[ia], b = buf[ib];
                buf[ia] = a * c - b * s;
                buf[ib] = a * s + b * c;
            }
        }
    }
}

package dev.hyperattention4j.llm.quantize;

/**
 * The two roundings the GGUF ecosystem's reference quantiser uses, so that our encodings come out bit-identical
 * where its scheme is deterministic: C's {@code roundf} (half away from zero) for Q8_0, and round-half-to-even (the
 * FPU's default mode, which ggml reaches by adding 1.5·2^23) for the K-quant searches.
 */
final class Rounding {
    private Rounding() {}

    /** Half away from zero; exact because a float plus 0.5 is exact in double. */
    static int halfAway(float x) {
        double a = Math.floor(Math.abs((double) x) + 0.5);
        return (int) (x < 0 ? -a : a);
    }

    /** Half to even. */
    static int halfEven(float x) {
        return (int) Math.rint(x);
    }

    static int clamp(int v, int lo, int hi) {
        return Math.max(lo, Math.min(hi, v));
    }

    /** The value an f16 field will hold: the float rounded to half precision and back. */
    static float f16(float x) {
        return Float.float16ToFloat(Float.floatToFloat16(x));
    }
}

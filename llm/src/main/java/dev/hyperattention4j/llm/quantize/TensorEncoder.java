package dev.hyperattention4j.llm.quantize;

import dev.hyperattention4j.llm.model.DType;
import java.util.Arrays;

/** Encodes float weights into any {@link DType}, block by block (the inverse of {@code runtime.Dequant}). */
public final class TensorEncoder {
    private TensorEncoder() {}

    /** The encoding of {@code values} (their count a multiple of the block size; rows are independent). */
    public static byte[] encode(float[] values, DType type) {
        byte[] out = new byte[Math.toIntExact(type.bytesFor(values.length))];
        encode(values, 0, values.length, type, out, 0);
        return out;
    }

    /**
     * Encodes {@code x[xo .. xo + n)} into {@code out[oo ..]} ({@code type.bytesFor(n)} bytes, overwritten).
     *
     * @throws IllegalArgumentException when n is not a multiple of the block size or a value is not finite
     */
    public static void encode(float[] x, int xo, int n, DType type, byte[] out, int oo) {
        int bytes = Math.toIntExact(type.bytesFor(n));
        for (int i = 0; i < n; i++) {
            if (!Float.isFinite(x[xo + i])) {
                throw new IllegalArgumentException("value " + i + " is " + x[xo + i] + ": only finite weights"
                        + " can be quantised");
            }
        }
        Arrays.fill(out, oo, oo + bytes, (byte) 0);
        switch (type) {
            case F32 -> {
                for (int i = 0; i < n; i++) {
                    LegacyQuants.putI32(out, oo + 4 * i, Float.floatToRawIntBits(x[xo + i]));
                }
            }
            case F16 -> {
                for (int i = 0; i < n; i++) {
                    LegacyQuants.putF16(out, oo + 2 * i, x[xo + i]);
                }
            }
            case BF16 -> {
                for (int i = 0; i < n; i++) {
                    short h = toBf16(x[xo + i]);
                    out[oo + 2 * i] = (byte) h;
                    out[oo + 2 * i + 1] = (byte) (h >>> 8);
                }
            }
            default -> {
                int size = type.blockSize();
                int blockBytes = type.blockBytes();
                for (int b = 0; b < n / size; b++) {
                    block(type, x, xo + b * size, out, oo + b * blockBytes);
                }
            }
        }
    }

    private static void block(DType type, float[] x, int xo, byte[] out, int oo) {
        switch (type) {
            case Q8_0 -> LegacyQuants.q8_0(x, xo, out, oo);
            case Q4_0 -> LegacyQuants.q4_0(x, xo, out, oo);
            case Q4_1 -> LegacyQuants.q4_1(x, xo, out, oo);
            case Q5_0 -> LegacyQuants.q5_0(x, xo, out, oo);
            case Q5_1 -> LegacyQuants.q5_1(x, xo, out, oo);
            case Q2_K -> KQuants.q2K(x, xo, out, oo);
            case Q3_K -> KQuants.q3K(x, xo, out, oo);
            case Q4_K -> KQuants.q4K(x, xo, out, oo);
            case Q5_K -> KQuants.q5K(x, xo, out, oo);
            case Q6_K -> KQuants.q6K(x, xo, out, oo);
            case F32, F16, BF16 -> throw new IllegalArgumentException(type + " has no blocks");
        }
    }

    /** BF16 with round-to-nearest-even (the upper half of the float32, rounded). */
    static short toBf16(float v) {
        int bits = Float.floatToRawIntBits(v);
        return (short) ((bits + 0x7FFF + ((bits >>> 16) & 1)) >>> 16);
    }
}

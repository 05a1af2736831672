package dev.hyperattention4j.llm.runtime;

import dev.hyperattention4j.llm.model.DType;
import dev.hyperattention4j.llm.model.WeightTensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Decodes weight rows from their file encoding (little-endian) to float32. Used for embedding lookups, norm
 * vectors, packing float weights into panels, and by {@link QuantLinear}, which dequantises one row at a time
 * into worker scratch.
 */
public final class Dequant {
    static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private Dequant() {
    }

    /** Writes the {@code cols} values of row {@code row} of a [rows][cols] tensor to {@code dst[off..]}. */
    public static void row(WeightTensor w, int row, float[] dst, int off) {
        int cols = w.cols();
        DType type = w.type();
        long rowBytes = type.bytesFor(cols);
        decode(w.data(), type, (long) row * rowBytes, cols, dst, off);
    }

    /** The whole tensor as float32, flattened (for small vectors such as norm weights). */
    public static float[] all(WeightTensor w) {
        long n = w.elementCount();
        if (n > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("tensor " + w.name() + " is too large to decode at once: " + n);
        }
        float[] out = new float[(int) n];
        decode(w.data(), w.type(), 0, (int) n, out, 0);
        return out;
    }

    /** Decodes {@code count} values starting at byte {@code byteOffset} (count a multiple of the block size). */
    static void decode(MemorySegment data, DType type, long byteOffset, int count, float[] dst, int off) {
        switch (type) {
            case F32 -> MemorySegment.copy(data, F32, byteOffset, dst, off, count);
            case F16 -> {
                for (int i = 0; i < count; i++) {
                    dst[off + i] = Float.float16ToFloat(data.get(I16, byteOffset + 2L * i));
                }
            }
            case BF16 -> {
                // bf16 is the top half of a float32: widen to int, shift left 16, reinterpret
                for (int i = 0; i < count; i++) {
                    dst[off + i] = Float.intBitsToFloat((data.get(I16, byteOffset + 2L * i) & 0xffff) << 16);
                }
            }
            case Q8_0 -> {
                for (int b = 0; b < count / 32; b++) {
                    long p = byteOffset + 34L * b;
                    float scale = Float.float16ToFloat(data.get(I16, p));
                    int o = off + 32 * b;
                    for (int i = 0; i < 32; i++) {
                        dst[o + i] = scale * data.get(ValueLayout.JAVA_BYTE, p + 2 + i);
                    }
                }
            }
            case Q4_0 -> {
                for (int b = 0; b < count / 32; b++) {
                    long p = byteOffset + 18L * b;
                    float scale = Float.float16ToFloat(data.get(I16, p));
                    int o = off + 32 * b;
                    for (int i = 0; i < 16; i++) {
                        int packed = data.get(ValueLayout.JAVA_BYTE, p + 2 + i) & 0xff;
                        dst[o + i] = scale * ((packed & 0x0f) - 8);
                        dst[o + 16 + i] = scale * ((packed >>> 4) - 8);
                    }
                }
            }
        }
    }
}

package dev.hyperattention4j.llm.runtime;

import dev.hyperattention4j.llm.model.DType;
import dev.hyperattention4j.llm.model.WeightTensor;
import dev.hyperattention4j.llm.quant.BlockQ2K;
import dev.hyperattention4j.llm.quant.BlockQ3K;
import dev.hyperattention4j.llm.quant.BlockQ4K;
import dev.hyperattention4j.llm.quant.BlockQ4_0;
import dev.hyperattention4j.llm.quant.BlockQ4_1;
import dev.hyperattention4j.llm.quant.BlockQ5K;
import dev.hyperattention4j.llm.quant.BlockQ5_0;
import dev.hyperattention4j.llm.quant.BlockQ5_1;
import dev.hyperattention4j.llm.quant.BlockQ6K;
import dev.hyperattention4j.llm.quant.BlockQ8_0;
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

    /** Decodes one block of a quantised type at byte {@code at} into {@code dst[off .. off + blockSize)}. */
    public static void block(MemorySegment data, DType type, long at, float[] dst, int off) {
        switch (type) {
            case Q8_0 -> BlockQ8_0.decode(data, at, dst, off);
            case Q4_0 -> BlockQ4_0.decode(data, at, dst, off);
            case Q4_1 -> BlockQ4_1.decode(data, at, dst, off);
            case Q5_0 -> BlockQ5_0.decode(data, at, dst, off);
            case Q5_1 -> BlockQ5_1.decode(data, at, dst, off);
            case Q2_K -> BlockQ2K.decode(data, at, dst, off);
            case Q3_K -> BlockQ3K.decode(data, at, dst, off);
            case Q4_K -> BlockQ4K.decode(data, at, dst, off);
            case Q5_K -> BlockQ5K.decode(data, at, dst, off);
            case Q6_K -> BlockQ6K.decode(data, at, dst, off);
            case F32, F16, BF16 -> throw new IllegalArgumentException(type + " has no blocks");
        }
    }

    /** Decodes {@code count} values starting at byte {@code byteOffset} (count a multiple of the block size). */
    public static void decode(MemorySegment data, DType type, long byteOffset, int count, float[] dst, int off) {
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
            default -> {
                int size = type.blockSize();
                int bytes = type.blockBytes();
                for (int b = 0; b < count / size; b++) {
                    block(data, type, byteOffset + (long) bytes * b, dst, off + size * b);
                }
            }
        }
    }
}

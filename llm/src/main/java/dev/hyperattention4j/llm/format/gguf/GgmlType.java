package dev.hyperattention4j.llm.format.gguf;

import dev.hyperattention4j.llm.model.DType;

/** ggml tensor type ids (from ggml.h) for the element types we keep in memory as they are. */
public final class GgmlType {
    public static final int F32 = 0;
    public static final int F16 = 1;
    public static final int Q4_0 = 2;
    public static final int Q8_0 = 8;
    public static final int BF16 = 30;

    private GgmlType() {}

    /** The DType of a ggml type id, or null when unsupported (K-quants, IQ types, ...). */
    public static DType toDType(int id) {
        return switch (id) {
            case F32 -> DType.F32;
            case F16 -> DType.F16;
            case Q4_0 -> DType.Q4_0;
            case Q8_0 -> DType.Q8_0;
            case BF16 -> DType.BF16;
            default -> null;
        };
    }

    public static int of(DType type) {
        return switch (type) {
            case F32 -> F32;
            case F16 -> F16;
            case Q4_0 -> Q4_0;
            case Q8_0 -> Q8_0;
            case BF16 -> BF16;
        };
    }
}

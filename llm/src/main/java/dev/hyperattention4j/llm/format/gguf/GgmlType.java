package dev.hyperattention4j.llm.format.gguf;

import dev.hyperattention4j.llm.model.DType;

/** ggml tensor type ids (the numbers GGUF stores in each tensor info) of the element types we read. */
public final class GgmlType {
    public static final int F32 = 0;
    public static final int F16 = 1;
    public static final int Q4_0 = 2;
    public static final int Q4_1 = 3;
    public static final int Q5_0 = 6;
    public static final int Q5_1 = 7;
    public static final int Q8_0 = 8;
    public static final int Q2_K = 10;
    public static final int Q3_K = 11;
    public static final int Q4_K = 12;
    public static final int Q5_K = 13;
    public static final int Q6_K = 14;
    public static final int BF16 = 30;

    private GgmlType() {}

    /** The DType of a ggml type id, or null when unsupported (IQ types, Q8_K, ternary types, ids ggml removed). */
    public static DType toDType(int id) {
        return switch (id) {
            case F32 -> DType.F32;
            case F16 -> DType.F16;
            case Q4_0 -> DType.Q4_0;
            case Q4_1 -> DType.Q4_1;
            case Q5_0 -> DType.Q5_0;
            case Q5_1 -> DType.Q5_1;
            case Q8_0 -> DType.Q8_0;
            case Q2_K -> DType.Q2_K;
            case Q3_K -> DType.Q3_K;
            case Q4_K -> DType.Q4_K;
            case Q5_K -> DType.Q5_K;
            case Q6_K -> DType.Q6_K;
            case BF16 -> DType.BF16;
            default -> null;
        };
    }

    public static int of(DType type) {
        return switch (type) {
            case F32 -> F32;
            case F16 -> F16;
            case BF16 -> BF16;
            case Q8_0 -> Q8_0;
            case Q4_0 -> Q4_0;
            case Q4_1 -> Q4_1;
            case Q5_0 -> Q5_0;
            case Q5_1 -> Q5_1;
            case Q2_K -> Q2_K;
            case Q3_K -> Q3_K;
            case Q4_K -> Q4_K;
            case Q5_K -> Q5_K;
            case Q6_K -> Q6_K;
        };
    }

    /** The names of every supported type, for error messages. */
    public static String supportedNames() {
        return java.util.Arrays.toString(DType.values());
    }
}

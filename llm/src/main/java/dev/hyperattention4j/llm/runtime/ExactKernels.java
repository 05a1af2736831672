package dev.hyperattention4j.llm.runtime;

import dev.hyperattention4j.attention.Attention;
import dev.hyperattention4j.attention.FlashAttention;
import dev.hyperattention4j.runtime.WorkerPool;

/**
 * Which exact attention kernel the runtime uses for a call shape. The row kernel ({@link RowwiseAttention}, SIMD
 * lanes along the keys) wins at small head dims, where a tiled kernel's lanes along d waste most of each Q·Kᵀ
 * product on reductions; the tiled kernel ({@link FlashAttention}) wins at larger head dims and on long prompts,
 * where it keeps each key and value in registers for many query rows (on tinystories-656k, d = 8: rowwise about
 * 10 % faster than flash at 512 tokens, about 10 % slower at 2048).
 */
public final class ExactKernels {
    /** Head dims up to this use the row kernel: lanes along keys beat d-wide tiles there. */
    public static final int ROWWISE_MAX_HEAD_DIM = 32;
    /** Prompts longer than this use the tiled kernel even at small head dims (it reuses K/V more). */
    public static final int ROWWISE_MAX_ROWS = 1024;

    private ExactKernels() {
    }

    /** The exact attention for prefill calls of a model with this head dim. */
    public static Attention forHeadDim(WorkerPool pool, int headDim) {
        if (headDim <= ROWWISE_MAX_HEAD_DIM) {
            return new RowwiseAttention(pool, ROWWISE_MAX_ROWS, new FlashAttention(pool));
        }
        return new FlashAttention(pool);
    }
}

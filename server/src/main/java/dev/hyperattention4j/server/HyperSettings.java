package dev.hyperattention4j.server;

import dev.hyperattention4j.attention.Attention;
import dev.hyperattention4j.attention.hyper.HyperAttention;
import dev.hyperattention4j.attention.hyper.HyperConfig;
import dev.hyperattention4j.llm.runtime.AttentionPlan;
import dev.hyperattention4j.runtime.WorkerPool;

/**
 * The request's HyperAttention extension ({@code "hyperattention": {"patch_last", "block_size", "sample_size",
 * "min_seq_len"}}): HyperAttention in the prompt's prefill of the last {@code patchLast} layers with block size b,
 * sampled columns m, and prompts of at most {@code minSeqLen} tokens kept exact. Decode steps stay exact.
 */
record HyperSettings(int patchLast, int blockSize, int sampleSize, int minSeqLen) {
    static final HyperSettings DEFAULTS = new HyperSettings(0, 256, 256, 4096);

    HyperSettings {
        // HyperConfig validates b, m and the minimum length with messages that name them
        new HyperConfig(blockSize, sampleSize, 7, minSeqLen, HyperConfig.DEFAULT_SEED, 0, HyperConfig.Compat.OFF);
        if (patchLast < 0) {
            throw new IllegalArgumentException("patch_last must be >= 0, got " + patchLast);
        }
    }

    boolean patches() {
        return patchLast > 0;
    }

    /** A fresh plan (fresh per-layer instances, so the sampling of one request does not depend on earlier ones). */
    AttentionPlan plan(Attention exact, int layers, WorkerPool pool) {
        return AttentionPlan.patchLast(exact, patchLast, layers, layer -> new HyperAttention(
                new HyperConfig(blockSize, sampleSize, 7, minSeqLen, HyperConfig.DEFAULT_SEED, layer,
                        HyperConfig.Compat.OFF), pool));
    }
}

package dev.hyperattention4j.cli;

import dev.hyperattention4j.attention.Attention;
import dev.hyperattention4j.attention.FlashAttention;
import dev.hyperattention4j.attention.hyper.HyperConfig;
import dev.hyperattention4j.llm.model.ModelConfig;
import dev.hyperattention4j.llm.runtime.AttentionPlan;
import dev.hyperattention4j.llm.runtime.ExactKernels;
import dev.hyperattention4j.llm.runtime.RowwiseAttention;
import dev.hyperattention4j.runtime.WorkerPool;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Per-layer attention choice: exact everywhere, or HyperAttention in the last L layers with its settings. */
final class AttentionOptions {
    enum Exact { auto, flash, rowwise }

    @Option(names = "--exact-kernel", paramLabel = "KIND",
            description = "Exact attention kernel for prefill: ${COMPLETION-CANDIDATES}; auto = the library's choice: "
                    + "rowwise (the session's own row kernel over the KV cache) for head dims up to "
                    + ExactKernels.ROWWISE_MAX_HEAD_DIM + " and prompts up to " + ExactKernels.ROWWISE_MAX_ROWS
                    + " tokens, flash otherwise (default: ${DEFAULT-VALUE}).")
    Exact exactKernel = Exact.auto;

    @Range(min = 0, max = 1024, note = "at most the model's layers")
    @Option(names = "--patch-last", paramLabel = "L",
            description = "Use HyperAttention in the last L layers during prefill (0 = exact everywhere; decode "
                    + "steps always stay exact over the KV cache).")
    int patchLast = 0;

    @Mixin
    HyperAttentionOptions hyper = new HyperAttentionOptions();

    @Range(min = 0, max = 1 << 20, note = "0 = off")
    @Option(names = "--check", paramLabel = "K", description = "Recompute K random rows of every HyperAttention call "
            + "exactly and report the measured error (0 = off; default).")
    int check = 0;

    /** The pooled spot-check errors of every patched layer (filled when --check > 0). */
    final dev.hyperattention4j.reference.SpotCheck.Tally checkTally =
            new dev.hyperattention4j.reference.SpotCheck.Tally();

    Attention exact(WorkerPool pool, int headDim) {
        if (exactKernel == Exact.rowwise) {
            return new RowwiseAttention(pool);
        }
        if (exactKernel == Exact.flash) {
            return new FlashAttention(pool);
        }
        return ExactKernels.forHeadDim(pool, headDim);
    }

    /** The checks that need the model, run right after opening it (before any work). */
    void validate(ModelConfig c) {
        OptionRanges.atMost(this, "--patch-last", patchLast, c.layers(), "the model's layer count");
    }

    AttentionPlan plan(WorkerPool pool, ModelConfig c) {
        validate(c);
        return AttentionPlan.patchLast(exact(pool, c.headDim()), patchLast, c.layers(), layer -> HyperFactory.create(this, layer, pool));
    }

    AttentionPlan exactPlan(WorkerPool pool, ModelConfig c) {
        return AttentionPlan.exact(exact(pool, c.headDim()));
    }

    String hyperSettings() {
        return hyper.describe(HyperConfig.DEFAULT_SEED);
    }
}

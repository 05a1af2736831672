package dev.hyperattention4j.cli;

import dev.hyperattention4j.attention.Attention;
import dev.hyperattention4j.attention.hyper.CheckedAttention;
import dev.hyperattention4j.attention.hyper.HyperAttention;
import dev.hyperattention4j.attention.hyper.HyperConfig;
import dev.hyperattention4j.runtime.WorkerPool;

/**
 * Builds the HyperAttention of one layer from the command-line settings (its own seeded projections per layer),
 * wrapped in a {@link CheckedAttention} when {@code --check k} asks for a spot check of every call.
 */
final class HyperFactory {
    private HyperFactory() {
    }

    static Attention create(AttentionOptions o, int layer, WorkerPool pool) {
        HyperConfig cfg = o.hyper.config(HyperConfig.DEFAULT_SEED, layer);
        HyperAttention hyper = new HyperAttention(cfg, pool);
        return o.check > 0 ? new CheckedAttention(hyper, o.check, cfg.seed() + 1000L * layer, o.checkTally) : hyper;
    }
}

package dev.hyperattention4j.cli;

import dev.hyperattention4j.attention.Attention;
import dev.hyperattention4j.attention.hyper.HyperAttention;
import dev.hyperattention4j.attention.hyper.HyperConfig;
import dev.hyperattention4j.runtime.WorkerPool;

/** Builds the HyperAttention of one layer from the command-line settings (the layer index seeds its projections). */
final class HyperFactory {
    private HyperFactory() {
    }

    static Attention create(AttentionOptions o, int layer, WorkerPool pool) {
        return new HyperAttention(HyperConfig.defaults().withBlockSize(o.blockSize).withSampleSize(o.sampleSize)
                .withNumProjections(o.projections).withMinSeqLen(o.minSeqLen).withSeed(o.seed).withLayer(layer), pool);
    }
}

package dev.hyperattention4j.cli;

import dev.hyperattention4j.attention.Attention;
import dev.hyperattention4j.runtime.WorkerPool;

/** Builds the HyperAttention of one layer from the command-line settings. */
final class HyperFactory {
    private HyperFactory() {
    }

    static Attention create(AttentionOptions o, int layer, WorkerPool pool) {
        throw new UnsupportedOperationException("HyperAttention has not been merged into this build yet; run with "
                + "--patch-last 0 (settings were " + o.hyperSettings() + ", layer " + layer + ")");
    }
}

package dev.hyperattention4j.cli;

import dev.hyperattention4j.attention.TrainableAttention;
import dev.hyperattention4j.attention.hyper.HyperConfig;
import dev.hyperattention4j.attention.hyper.TrainableHyperAttention;
import dev.hyperattention4j.runtime.WorkerPool;
import java.util.List;

/** The approximate trainable attentions that {@code bench backward} compares with exact attention. */
public final class ApproximateMethods {
    private ApproximateMethods() {}

    /** HyperAttention with the paper's defaults (b = m = 256, r = 7, minSeqLen 4096). */
    public static List<TrainableAttention> create(WorkerPool pool) {
        return List.of(new TrainableHyperAttention(HyperConfig.defaults(), pool));
    }
}

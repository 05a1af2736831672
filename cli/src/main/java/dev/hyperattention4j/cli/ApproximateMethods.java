package dev.hyperattention4j.cli;

import dev.hyperattention4j.attention.TrainableAttention;
import dev.hyperattention4j.runtime.WorkerPool;
import java.util.List;

/** The approximate trainable attentions that {@code bench-backward} compares with exact attention. */
public final class ApproximateMethods {
    private ApproximateMethods() {}

    public static List<TrainableAttention> create(WorkerPool pool) {
        return List.of();
    }
}

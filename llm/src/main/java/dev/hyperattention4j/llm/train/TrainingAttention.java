package dev.hyperattention4j.llm.train;

import dev.hyperattention4j.attention.TrainableAttention;
import dev.hyperattention4j.attention.TrainableFlashAttention;
import dev.hyperattention4j.attention.hyper.HyperConfig;
import dev.hyperattention4j.attention.hyper.TrainableHyperAttention;
import dev.hyperattention4j.runtime.WorkerPool;

/**
 * Which attention each layer trains with: exact (tiled flash attention and its backward) everywhere, or
 * HyperAttention in the last {@code patchLast} layers, as {@code --patch-last} chooses at inference. A HyperAttention
 * layer gets a fresh instance per forward call whose seed mixes the configured seed, the layer and the call number
 * (the optimizer step and micro-batch), so its hashing and samples are a function of the run's position alone: a
 * resumed run draws the same samples as an uninterrupted one.
 *
 * @param patchLast layers at the end that use HyperAttention (0: exact everywhere)
 * @param hyper     HyperAttention's settings (ignored when patchLast is 0)
 */
public record TrainingAttention(int patchLast, HyperConfig hyper) {
    public TrainingAttention {
        if (patchLast < 0) {
            throw new IllegalArgumentException("patchLast must be >= 0, got " + patchLast);
        }
        if (patchLast > 0 && hyper == null) {
            throw new IllegalArgumentException("HyperAttention layers need a HyperConfig");
        }
    }

    /** Exact attention in every layer. */
    public static TrainingAttention exact() {
        return new TrainingAttention(0, null);
    }

    /** Whether layer {@code layer} of {@code layers} uses HyperAttention. */
    public boolean isHyper(int layer, int layers) {
        return layer >= layers - patchLast;
    }

    /** The attention of layer {@code layer} for forward call {@code call} of the run. */
    TrainableAttention forLayer(int layer, int layers, long call, WorkerPool pool) {
        if (!isHyper(layer, layers)) {
            return new TrainableFlashAttention(pool);
        }
        long seed = hyper.seed() ^ (call + 1) * 0x9E3779B97F4A7C15L;
        return new TrainableHyperAttention(hyper.withLayer(layer).withSeed(seed), pool);
    }

    public String describe() {
        return patchLast == 0 ? "exact attention in every layer"
                : "HyperAttention (b=" + hyper.blockSize() + ", m=" + hyper.sampleSize() + ", r="
                + hyper.numProjections() + ", exact up to " + hyper.minSeqLen() + " tokens) in the last "
                + patchLast + " layers, exact elsewhere";
    }
}

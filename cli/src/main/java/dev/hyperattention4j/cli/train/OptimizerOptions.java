package dev.hyperattention4j.cli.train;

import dev.hyperattention4j.cli.Range;
import dev.hyperattention4j.llm.train.AdamW;
import dev.hyperattention4j.llm.train.LearningRate;
import picocli.CommandLine.Option;

/**
 * AdamW, its learning-rate schedule and gradient clipping (a picocli mixin of {@code ha4j train}), with the checks
 * that involve more than one of them.
 */
public final class OptimizerOptions {
    @Range(min = 1e-9, max = 10)
    @Option(names = "--lr", paramLabel = "LR", description = "Peak learning rate (default: ${DEFAULT-VALUE}).")
    double lr = 1e-3;

    @Range(min = 0, max = 10)
    @Option(names = "--min-lr", paramLabel = "LR", description = "Learning rate at the end of the cosine decay "
            + "(default: --lr / 10).")
    Double minLr;

    @Range(min = 0, max = 100_000_000)
    @Option(names = "--warmup", paramLabel = "S", description = "Linear warm-up steps (default: min(100, "
            + "--steps / 10)).")
    Integer warmup;

    @Range(min = 0, max = 10)
    @Option(names = "--weight-decay", paramLabel = "W", description = "AdamW weight decay on matrices "
            + "(default: ${DEFAULT-VALUE}).")
    double weightDecay = 0.1;

    @Range(min = 0, max = 0.9999999)
    @Option(names = "--beta1", paramLabel = "B", description = "AdamW β₁ (default: ${DEFAULT-VALUE}).")
    double beta1 = 0.9;

    @Range(min = 0, max = 0.9999999)
    @Option(names = "--beta2", paramLabel = "B", description = "AdamW β₂ (default: ${DEFAULT-VALUE}).")
    double beta2 = 0.95;

    @Range(min = 0, max = 1e6)
    @Option(names = "--clip", paramLabel = "NORM", description = "Maximum global gradient norm, 0 = no clipping "
            + "(default: ${DEFAULT-VALUE}).")
    double clip = 1.0;

    /** Refuses contradictory values before any work. */
    void check() {
        if (minLr != null && minLr > lr) {
            throw new IllegalArgumentException("--min-lr " + minLr + " is above --lr " + lr);
        }
    }

    AdamW.Settings adam() {
        return new AdamW.Settings(beta1, beta2, 1e-8, weightDecay);
    }

    /** The schedule of a run of {@code steps} optimizer steps. */
    LearningRate schedule(int steps) {
        check();
        return new LearningRate(lr, minLr != null ? minLr : lr / 10, warmup != null ? warmup : Math.min(100,
                steps / 10), steps);
    }
}

package dev.hyperattention4j.llm.train;

import java.util.Objects;

/**
 * Everything that decides a training run besides the data and the starting weights.
 *
 * @param context      tokens per window (each window also needs its next token as the last target)
 * @param microBatches windows whose gradients are accumulated (averaged) into one optimizer step
 * @param steps        optimizer steps of the whole run
 * @param learningRate warm-up and cosine schedule over {@code steps}
 * @param adam         AdamW's settings
 * @param clipNorm     maximum global gradient norm (0: no clipping)
 * @param seed         picks the training windows (and seeds HyperAttention's hashing and samples)
 * @param attention    exact or HyperAttention per layer
 * @param repeatFraction share of the windows that hold repeated spans ({@link TrainingWindows}; 0 for natural
 *                     text only)
 * @param repeatSource what those windows repeat
 */
public record TrainingSettings(int context, int microBatches, int steps, LearningRate learningRate,
                               AdamW.Settings adam, double clipNorm, long seed, TrainingAttention attention,
                               double repeatFraction, TrainingWindows.Source repeatSource) {
    public TrainingSettings {
        if (context < 2 || microBatches < 1 || steps < 1) {
            throw new IllegalArgumentException("context must be >= 2, micro-batches and steps >= 1: " + context + ", "
                    + microBatches + ", " + steps);
        }
        if (!(clipNorm >= 0) || Double.isInfinite(clipNorm)) {
            throw new IllegalArgumentException("gradient clipping norm must be finite and >= 0, got " + clipNorm);
        }
        if (!(repeatFraction >= 0 && repeatFraction <= 1)) {
            throw new IllegalArgumentException("repeat fraction must be in [0, 1], got " + repeatFraction);
        }
        Objects.requireNonNull(learningRate, "learning rate");
        Objects.requireNonNull(adam, "adam");
        Objects.requireNonNull(attention, "attention");
        Objects.requireNonNull(repeatSource, "repeat source");
    }
}

package dev.hyperattention4j.llm.train;

/**
 * Linear warm-up from 0 to {@code peak} over {@code warmup} steps, then cosine decay to {@code floor} at step
 * {@code total} (and {@code floor} after it). Steps count from 1.
 */
public record LearningRate(double peak, double floor, int warmup, int total) {
    public LearningRate {
        if (!(peak > 0) || !Double.isFinite(peak) || !(floor >= 0) || floor > peak) {
            throw new IllegalArgumentException("learning rates must satisfy 0 <= min <= peak, peak finite and > 0: "
                    + floor + ", " + peak);
        }
        if (warmup < 0 || total < 1) {
            throw new IllegalArgumentException("warm-up steps must be >= 0 and total steps >= 1: " + warmup + ", "
                    + total);
        }
    }

    /** The rate of step {@code step} (1-based). */
    public double at(long step) {
        if (step <= warmup) {
            return peak * step / Math.max(1, warmup);
        }
        if (step >= total) {
            return floor;
        }
        double progress = (double) (step - warmup) / Math.max(1, total - warmup);
        return floor + 0.5 * (peak - floor) * (1 + StrictMath.cos(Math.PI * progress));
    }
}

package dev.hyperattention4j.llm.train;

import java.util.EnumMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * Where a training step's time goes: elapsed nanoseconds per phase, accumulated over the steps since the last
 * {@link #reset()}. A phase is charged with the time since the previous {@link #lap}, so the phases of one step add up
 * to its wall time (every pool call returns only when its work is done). Costs one clock read per phase, nothing
 * next to the phases themselves, so it is always on.
 */
public final class StepProfile {
    /** The phases of a step. */
    public enum Phase {
        /** Packing the weights into kernel panels (forward and transposed) at the start of each window. */
        PACK("weight panels"),
        /** The q/k/v, o, gate/up and down products of the forward pass. */
        LINEAR_FORWARD("linear forward (x·Wᵀ)"),
        /** Exact attention forward. */
        ATTENTION_FORWARD("exact attention forward"),
        /** HyperAttention forward (the layers of {@link TrainingAttention#patchLast()}). */
        HYPER_ATTENTION_FORWARD("HyperAttention forward"),
        /** Output head forward, softmax cross-entropy, the head's gradients. */
        HEAD("output head + loss"),
        /** The input-gradient products of the backward pass ({@code dy·W}). */
        LINEAR_INPUT_GRADIENT("linear input gradient (dy·W)"),
        /** The weight-gradient products of the backward pass ({@code dyᵀ·x}), with their transposes. */
        LINEAR_WEIGHT_GRADIENT("linear weight gradient (dyᵀ·x)"),
        /** Exact attention backward. */
        ATTENTION_BACKWARD("exact attention backward"),
        /** HyperAttention backward. */
        HYPER_ATTENTION_BACKWARD("HyperAttention backward"),
        /** Embedding, norms, RoPE, biases, SwiGLU, residuals: forward and backward. */
        ELEMENTWISE("element-wise (norms, RoPE, SwiGLU, residuals, embedding)"),
        /** Gradient norm, clipping and the AdamW update. */
        OPTIMIZER("gradient clipping + AdamW");

        private final String label;

        Phase(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }

    private final long[] nanos = new long[Phase.values().length];
    private LongSupplier clock = System::nanoTime;
    private long last = System.nanoTime();
    private boolean paused;

    /**
     * Times with {@code clock} (nanoseconds) instead of elapsed time, e.g. the CPU time of the worker threads on a
     * machine shared with other jobs; resets the profile.
     */
    public void useClock(LongSupplier clock) {
        this.clock = java.util.Objects.requireNonNull(clock, "clock");
        reset();
    }

    /** Starts timing: the next {@link #lap} is charged from now. */
    public void start() {
        last = clock.getAsLong();
    }

    /** Charges the time since the previous lap (or {@link #start()}) to {@code phase}. */
    public void lap(Phase phase) {
        if (paused) {
            return;
        }
        long now = clock.getAsLong();
        nanos[phase.ordinal()] += now - last;
        last = now;
    }

    /** Stops or resumes charging (evaluation passes between steps are not part of a step). */
    public void pause(boolean pause) {
        paused = pause;
        last = clock.getAsLong();
    }

    public void reset() {
        java.util.Arrays.fill(nanos, 0);
        start();
    }

    /** Seconds per phase since the last reset, in phase order. */
    public Map<Phase, Double> seconds() {
        Map<Phase, Double> m = new EnumMap<>(Phase.class);
        for (Phase p : Phase.values()) {
            m.put(p, nanos[p.ordinal()] / 1e9);
        }
        return m;
    }

    /** Total seconds since the last reset over all phases. */
    public double totalSeconds() {
        long s = 0;
        for (long n : nanos) {
            s += n;
        }
        return s / 1e9;
    }
}

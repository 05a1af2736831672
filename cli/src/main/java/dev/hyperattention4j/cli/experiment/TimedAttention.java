package dev.hyperattention4j.cli.experiment;

import dev.hyperattention4j.attention.Attention;
import dev.hyperattention4j.attention.AttentionProblem;
import java.util.concurrent.atomic.AtomicLong;

/** Runs another {@link Attention} and adds up its wall time and calls: the attention share of a model run. */
final class TimedAttention implements Attention {
    private final Attention delegate;
    private final AtomicLong nanos = new AtomicLong();
    private final AtomicLong calls = new AtomicLong();

    TimedAttention(Attention delegate) {
        this.delegate = delegate;
    }

    @Override
    public void forward(AttentionProblem problem) {
        long t0 = System.nanoTime();
        delegate.forward(problem);
        nanos.addAndGet(System.nanoTime() - t0);
        calls.incrementAndGet();
    }

    @Override
    public String name() {
        return delegate.name();
    }

    double seconds() {
        return nanos.get() / 1e9;
    }

    long calls() {
        return calls.get();
    }

    void reset() {
        nanos.set(0);
        calls.set(0);
    }
}

package dev.hyperattention4j.cli.experiment;

import dev.hyperattention4j.attention.Attention;
import dev.hyperattention4j.attention.AttentionProblem;
import dev.hyperattention4j.cli.bench.BenchTimer;

/** Runs another {@link Attention} and adds up its wall time and calls: the attention share of a model run. */
final class TimedAttention implements Attention {
    private final Attention delegate;
    private final BenchTimer.Total total = new BenchTimer.Total();

    TimedAttention(Attention delegate) {
        this.delegate = delegate;
    }

    @Override
    public void forward(AttentionProblem problem) {
        total.add(() -> delegate.forward(problem));
    }

    @Override
    public String name() {
        return delegate.name();
    }

    double seconds() {
        return total.seconds();
    }

    long calls() {
        return total.calls();
    }

    void reset() {
        total.reset();
    }
}

package dev.hyperattention4j.attention.hyper;

import dev.hyperattention4j.attention.Attention;
import dev.hyperattention4j.attention.AttentionProblem;
import dev.hyperattention4j.reference.SpotCheck;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An {@link Attention} that runs another one and then {@link SpotCheck}s k random rows of every call, pooling the
 * measured errors in a {@link SpotCheck.Tally}: the {@code --check k} option of the commands. Calls that the
 * delegate answers exactly (e.g. HyperAttention below its minSeqLen) are checked too, so the tally covers the run.
 */
public final class CheckedAttention implements Attention {
    private final Attention delegate;
    private final int rows;
    private final long seed;
    private final SpotCheck.Tally tally;
    private final AtomicLong calls = new AtomicLong();

    /**
     * @param delegate the attention whose output is checked
     * @param rows     k, rows checked per call (&gt;= 1)
     * @param seed     seeds the row choice of call c as {@code seed + c}
     */
    public CheckedAttention(Attention delegate, int rows, long seed) {
        this(delegate, rows, seed, new SpotCheck.Tally());
    }

    /** As above, pooling into a shared {@code tally} (e.g. one for every patched layer of a model). */
    public CheckedAttention(Attention delegate, int rows, long seed, SpotCheck.Tally tally) {
        if (delegate == null) {
            throw new IllegalArgumentException("delegate attention must not be null");
        }
        if (rows < 1) {
            throw new IllegalArgumentException("--check needs k >= 1 rows per call, got " + rows);
        }
        this.delegate = delegate;
        this.rows = rows;
        this.seed = seed;
        this.tally = java.util.Objects.requireNonNull(tally, "tally");
    }

    @Override
    public void forward(AttentionProblem problem) {
        delegate.forward(problem);
        tally.add(SpotCheck.measure(problem, rows, seed + calls.getAndIncrement()));
    }

    @Override
    public String name() {
        return delegate.name();
    }

    public Attention delegate() {
        return delegate;
    }

    public SpotCheck.Tally tally() {
        return tally;
    }
}

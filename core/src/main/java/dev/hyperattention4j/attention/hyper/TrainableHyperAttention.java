package dev.hyperattention4j.attention.hyper;

import dev.hyperattention4j.attention.AttentionProblem;
import dev.hyperattention4j.attention.BackwardContext;
import dev.hyperattention4j.attention.FlashBackward;
import dev.hyperattention4j.attention.Gradients;
import dev.hyperattention4j.attention.TrainableAttention;
import dev.hyperattention4j.runtime.WorkerPool;
import dev.hyperattention4j.tensor.FloatTensor;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * HyperAttention for training: the {@link HyperAttention} forward pass, which with {@code saveForBackward} records
 * its {@link HyperSchedule} (the sort keys of Q and K, the partition and every sample draw: O(n) ints), and
 * {@link HyperBackward}, the gradient of the approximate output with that schedule held fixed (docs/DESIGN.md §2.7). Calls that HyperAttention
 * answers exactly get the exact tiled backward.
 *
 * <p>Forward call c of this instance samples from {@code SampleSource.seeded(seed, layer, c)}, counting its own calls.
 * The compatibility options that are not an exact log-add-exp merge ({@code padKeys}, {@code epsMerge}) have no
 * backward and are rejected when saving for it.
 */
public final class TrainableHyperAttention implements TrainableAttention {
    private final HyperAttention hyper;
    private final WorkerPool pool;
    private final AtomicLong calls = new AtomicLong();

    public TrainableHyperAttention(HyperConfig config) {
        this(config, WorkerPool.shared());
    }

    public TrainableHyperAttention(HyperConfig config, WorkerPool pool) {
        this.hyper = new HyperAttention(config, pool);
        this.pool = pool;
    }

    /** The saved state: the problem (output and log-sum-exp filled) and what the forward fixed. */
    public record Context(AttentionProblem problem, boolean exact, HyperBackward.Saved saved)
            implements BackwardContext {}

    public HyperAttention hyper() {
        return hyper;
    }

    @Override
    public String name() {
        return "hyper";
    }

    @Override
    public BackwardContext forward(AttentionProblem problem, boolean saveForBackward) {
        SampleSource seeded = SampleSource.seeded(hyper.config().seed(), hyper.config().layer(), calls.getAndIncrement());
        if (!saveForBackward) {
            hyper.forward(problem, seeded, null);
            return null;
        }
        HyperConfig.Compat compat = hyper.config().compat();
        if (compat.padKeys() || compat.epsMerge()) {
            throw new IllegalArgumentException("the backward pass needs exact log-add-exp merges without padding keys; "
                    + "compatibility options padKeys and epsMerge have no gradient: use Compat.OFF");
        }
        AttentionProblem p = problem.logSumExp() == null ? problem.withLogSumExp() : problem;
        if (hyper.isExact(p)) {
            hyper.forward(p, seeded, null);
            return new Context(p, true, null);
        }
        SortLsh lsh = hyper.lsh(p.headDim());
        // hashed here, not inside the forward, so that a replay (tests) reuses the same keys on perturbed inputs
        int[] qKeys = hash(lsh, p.query());
        int[] kKeys = hash(lsh, p.key());
        HyperAttention.Executed run = hyper.forwardReportingFallbacks(p, seeded, null,
                new HyperAttention.SortKeys(qKeys, kKeys));
        return new Context(p, false, new HyperBackward.Saved(run.schedule(), run.fallbackRows()));
    }

    /** The forward of a context's problem again with its saved choices (tests: finite differences of the estimator). */
    void replayForward(Context ctx, AttentionProblem p) {
        if (ctx.exact()) {
            hyper.forward(p, SampleSource.replay(List.of()), null);
        } else {
            hyper.execute(p, ctx.saved().schedule(), null);
        }
    }

    @Override
    public Gradients backward(BackwardContext context, FloatTensor outputGrad, float[] lseGrad) {
        if (!(context instanceof Context ctx)) {
            throw new IllegalArgumentException("context " + (context == null ? "null" : context.getClass().getName())
                    + " was not made by TrainableHyperAttention.forward(..., true)");
        }
        if (ctx.exact()) {
            return new FlashBackward(pool).backward(ctx.problem(), outputGrad, lseGrad);
        }
        return HyperBackward.run(hyper.config(), pool, ctx.problem(), outputGrad, lseGrad, ctx.saved());
    }

    private int[] hash(SortLsh lsh, FloatTensor x) {
        int n = x.length(), heads = x.heads();
        int[] keys = new int[Math.toIntExact((long) x.batch() * heads * n)];
        int chunk = 4096, chunks = (n + chunk - 1) / chunk;
        pool.run(x.batch() * heads * chunks, (worker, unit) -> {
            int bh = unit / chunks, from = (unit % chunks) * chunk, to = Math.min(n, from + chunk);
            lsh.hashRows(x, bh / heads, bh % heads, from, to, keys, bh * n + from, new float[lsh.hashScratchLength()]);
        });
        return keys;
    }
}

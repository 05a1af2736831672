package dev.hyperattention4j.attention.hyper;

import dev.hyperattention4j.attention.Attention;
import dev.hyperattention4j.attention.AttentionProblem;
import dev.hyperattention4j.attention.FlashAttention;
import dev.hyperattention4j.attention.NonFinitePolicy;
import dev.hyperattention4j.attention.hyper.HyperProfile.Phase;
import dev.hyperattention4j.runtime.WorkerPool;
import dev.hyperattention4j.tensor.FloatTensor;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * HyperAttention (Han et al., arXiv 2310.05869; docs/DESIGN.md §2 describes the algorithm): sortLSH, exact attention in
 * aligned blocks of the sorted order plus a uniformly sampled residual, merged by log-sum-exp; causal calls by
 * recursive halving. Same layout, GQA support and optional log-sum-exp output as the exact kernels, so it plugs in
 * wherever an {@link Attention} is expected. Every exact piece runs on the project's {@code FlashKernel}.
 *
 * <p><b>Exact cases.</b> A non-causal call with nq &lt; minSeqLen, a causal call with n &lt;= minSeqLen, and a causal
 * call with nq != nk (decoding, chunked prefill; docs/DESIGN.md §5) return exactly the {@link FlashAttention} result.
 *
 * <p><b>Reproducibility (docs/DESIGN.md §3).</b> One instance is one layer: W = {@link SortLsh#gaussianProjection} with seed
 * {@code mix(seed, layer)} for each head dim it meets, unless a projection is injected. Forward call c of the
 * instance (counting every {@code forward} that does not pass its own source) samples from
 * {@link SampleSource#seeded}(seed, layer, c). Draws happen on the calling thread, in post-order for the causal
 * recursion, so results are identical for any thread count.
 *
 * <p><b>Fallback.</b> A row whose merged normaliser is degenerate (log-sum-exp ±∞, or NaN with finite inputs) is
 * recomputed with the exact kernel after the merge, so every returned row with a finite log-sum-exp is a convex
 * combination of value rows; {@link #fallbackRows()} and {@link HyperProfile#fallbackRows()} count them.
 */
public final class HyperAttention implements Attention {
    private static final int HASH_CHUNK = 4096;

    private final HyperConfig config;
    private final WorkerPool pool;
    private final FlashAttention exact;
    private final float[][] injectedProjection;
    private final Map<Integer, SortLsh> lshByDim = new ConcurrentHashMap<>();
    private final AtomicLong calls = new AtomicLong();
    private final AtomicLong fallbackRows = new AtomicLong();
    /** Per-worker tile scratch of finished calls, reused so that a warm call allocates only its O(n) index arrays. */
    private final java.util.concurrent.ConcurrentLinkedQueue<HyperForward.Scratch[]> idleScratch =
            new java.util.concurrent.ConcurrentLinkedQueue<>();

    /** Per-(batch, head) sort keys to use instead of hashing (replay; docs/DESIGN.md §3). */
    public record SortKeys(int[] query, int[] key) {
        public SortKeys {
            if (query == null || key == null) {
                throw new IllegalArgumentException("injected sort keys need both query [B][Hq][nq] and key [B][Hkv][nk]");
            }
        }
    }

    public HyperAttention(HyperConfig config) {
        this(config, WorkerPool.shared(), null);
    }

    public HyperAttention(HyperConfig config, WorkerPool pool) {
        this(config, pool, null);
    }

    /**
     * @param projection an injected W as {@code float[d][r]} (r must equal the config's), or null to derive it
     *                   from the seed
     */
    public HyperAttention(HyperConfig config, WorkerPool pool, float[][] projection) {
        if (config == null) {
            throw new IllegalArgumentException("config must not be null; see HyperConfig.defaults()");
        }
        this.config = config;
        this.pool = java.util.Objects.requireNonNull(pool, "pool");
        this.exact = new FlashAttention(pool);
        dev.hyperattention4j.kernel.FlashWarmup.requestBlockKernel();   // its kernel warms after the exact one's
        if (projection != null) {
            SortLsh lsh = new SortLsh(projection, config.compat().grayEncoding());
            if (lsh.projections() != config.numProjections()) {
                throw new IllegalArgumentException("injected projection has r = " + lsh.projections()
                        + " columns but numProjections is " + config.numProjections());
            }
            this.injectedProjection = projection;
            lshByDim.put(lsh.dim(), lsh);
        } else {
            this.injectedProjection = null;
        }
    }

    public HyperConfig config() {
        return config;
    }

    @Override
    public String name() {
        return "hyper";
    }

    /** The sortLSH of this layer for head dim d (W seeded from (seed, layer), or the injected one). */
    public SortLsh lsh(int d) {
        if (injectedProjection != null) {
            SortLsh lsh = lshByDim.get(d);
            if (lsh == null) {
                throw new IllegalArgumentException("the injected projection has d = " + injectedProjection.length
                        + " rows but the problem's head dim is " + d);
            }
            return lsh;
        }
        return lshByDim.computeIfAbsent(d, dim -> new SortLsh(SortLsh.gaussianProjection(dim,
                config.numProjections(), SampleSource.SplitMix64.mix(config.seed() + 31L * config.layer())),
                config.compat().grayEncoding()));
    }

    /**
     * Output rows recomputed exactly so far by this instance because their estimated normaliser was degenerate
     * (merged log-sum-exp ±∞, or NaN with finite inputs; see docs/RELIABILITY.md §4). 0 for ordinary inputs; a call
     * can also read its own count from {@link HyperProfile#fallbackRows()}.
     */
    public long fallbackRows() {
        return fallbackRows.get();
    }

    /** Whether this call is answered by the exact kernel (docs/DESIGN.md §2.3, §2.5, §5). */
    public boolean isExact(AttentionProblem p) {
        if (p.causal()) {
            return p.queryLength() != p.keyLength() || p.queryLength() <= config.minSeqLen();
        }
        return p.queryLength() < config.minSeqLen();
    }

    @Override
    public void forward(AttentionProblem p) {
        forward(p, SampleSource.seeded(config.seed(), config.layer(), calls.getAndIncrement()), null, null);
    }

    /** A call with its own sample source (e.g. a replay queue) and an optional time breakdown. */
    public void forward(AttentionProblem p, SampleSource samples, HyperProfile profile) {
        forward(p, samples, profile, null);
    }

    /** As {@link #forward(AttentionProblem, SampleSource, HyperProfile)}, with injected sort keys when non-null. */
    public void forward(AttentionProblem p, SampleSource samples, HyperProfile profile, SortKeys sortKeys) {
        forwardReportingFallbacks(p, samples, profile, sortKeys);
    }

    /** A forward call's schedule (null when the call was exact) and the rows that fell back to exact attention. */
    record Executed(HyperSchedule schedule, int[] fallbackRows) {}

    /** The forward; returns its schedule and the {@code lse} indices of the rows that fell back (ascending). */
    Executed forwardReportingFallbacks(AttentionProblem p, SampleSource samples, HyperProfile profile,
                                       SortKeys sortKeys) {
        if (samples == null) {
            throw new IllegalArgumentException("samples must not be null; use SampleSource.seeded(...)");
        }
        if (isExact(p)) {
            long t0 = profile != null ? profile.now() : 0;
            exact.forward(p);
            if (profile != null) {
                profile.add(Phase.EXACT, profile.now() - t0);   // the calling thread's share only on a CPU clock
                profile.addFlops(Phase.EXACT, (long) p.flops());
            }
            samples.finish();
            return new Executed(null, ExactFallback.NONE);
        }
        long call0 = profile != null ? profile.now() : 0;
        PhaseClock clock = PhaseClock.of(profile);
        int batch = p.batch(), nq = p.queryLength(), nk = p.keyLength();
        SortLsh lsh = lsh(p.headDim());
        int[] qKeys, kKeys;
        if (sortKeys != null) {
            p.checkFinite(pool);
            qKeys = checkKeys(sortKeys.query(), (long) batch * p.queryHeads() * nq, lsh.keyCount(), "query");
            kKeys = checkKeys(sortKeys.key(), (long) batch * p.kvHeads() * nk, lsh.keyCount(), "key");
        } else {
            qKeys = new int[Math.toIntExact((long) batch * p.queryHeads() * nq)];
            kKeys = new int[Math.toIntExact((long) batch * p.kvHeads() * nk)];
            // the hash reads every row of Q and K, and checks them on the way (docs/RELIABILITY.md): only V is
            // scanned on its own; a failed check is located and reported by the serial scan
            boolean checkValues = p.nonFinite() == NonFinitePolicy.REJECT;
            if (!readInputs(lsh, p, qKeys, kKeys, checkValues, profile, clock) && checkValues) {
                p.checkFinite();
            }
        }
        HyperSchedule schedule = HyperSchedule.plan(p, config, qKeys, kKeys, lsh.keyCount(), samples);
        int[] fallback = execute(p, schedule, profile);
        samples.finish();
        if (profile != null) {
            profile.addCall(profile.now() - call0);
        }
        return new Executed(schedule, fallback);
    }

    /**
     * Runs a planned schedule on {@code p} (whose inputs may differ from the planning call's: tests replay a saved
     * schedule on perturbed inputs); returns the rows that fell back to exact attention.
     */
    int[] execute(AttentionProblem p, HyperSchedule schedule, HyperProfile profile) {
        float[] lse = p.logSumExp() != null ? p.logSumExp()
                : new float[Math.toIntExact((long) p.batch() * p.queryHeads() * p.queryLength())];
        HyperForward.Context cx = new HyperForward.Context(p, lse, schedule, config, pool, PhaseClock.of(profile));
        HyperForward.Scratch[] scratch = idleScratch.poll();
        if (scratch == null || !fits(scratch, p.headDim())) {
            scratch = new HyperForward.Scratch[pool.threads()];
        }
        int[] fallback;
        try {
            HyperForward.run(cx, scratch);
            fallback = ExactFallback.run(cx, scratch);
        } finally {
            idleScratch.offer(scratch);
        }
        if (fallback.length > 0) {
            fallbackRows.addAndGet(fallback.length);
            if (profile != null) {
                profile.addFallbackRows(fallback.length);
            }
        }
        return fallback;
    }

    private boolean fits(HyperForward.Scratch[] scratch, int d) {
        if (scratch.length != pool.threads()) {
            return false;
        }
        for (HyperForward.Scratch s : scratch) {
            if (s != null && s.kernel.dim() != d) {
                return false;
            }
        }
        return true;
    }

    /**
     * One parallel step over the inputs: hashes every row of Q and K in chunks of {@link #HASH_CHUNK} rows (the
     * hash checks them for NaN and infinity on the way), and with {@code checkValues} scans V in parts of the same
     * size; returns whether every element read was finite. One step instead of three (Q, K, V one after the other):
     * each step ends at a barrier, where the threads that finish first wait. The scan of V counts as hashing time in
     * a profile, so that a call's phases hold all its work.
     */
    private boolean readInputs(SortLsh lsh, AttentionProblem p, int[] qKeys, int[] kKeys, boolean checkValues,
                               HyperProfile profile, PhaseClock clock) {
        FloatTensor q = p.query(), k = p.key(), v = p.value();
        int qChunks = (q.length() + HASH_CHUNK - 1) / HASH_CHUNK, kChunks = (k.length() + HASH_CHUNK - 1) / HASH_CHUNK;
        int qUnits = q.batch() * q.heads() * qChunks, kUnits = k.batch() * k.heads() * kChunks;
        long valueRows = (long) v.batch() * v.heads() * v.length();
        int vUnits = checkValues ? (int) Math.max(1, (valueRows + HASH_CHUNK - 1) / HASH_CHUNK) : 0;
        java.util.concurrent.atomic.AtomicBoolean bad = new java.util.concurrent.atomic.AtomicBoolean();
        // the hash units first: the scan's are the smaller (a read without arithmetic), so they fill the step's end
        clock.run(pool, qUnits + kUnits + vUnits, (worker, unit) -> {
            long t0 = profile != null ? profile.now() : 0;
            boolean finite;
            if (unit < qUnits) {
                finite = hashChunk(lsh, q, qKeys, qChunks, unit);
            } else if (unit < qUnits + kUnits) {
                finite = hashChunk(lsh, k, kKeys, kChunks, unit - qUnits);
            } else {
                finite = bad.get() || v.allFinite(unit - qUnits - kUnits, vUnits);
            }
            if (!finite) {
                bad.set(true);
            }
            if (profile != null) {
                profile.add(Phase.HASH, profile.now() - t0);
            }
        });
        return !bad.get();
    }

    /** Hashes chunk {@code unit} (over heads, then chunks of rows) of x; returns whether its rows are finite. */
    private static boolean hashChunk(SortLsh lsh, FloatTensor x, int[] keys, int chunks, int unit) {
        int n = x.length(), heads = x.heads();
        int bh = unit / chunks, from = (unit % chunks) * HASH_CHUNK, to = Math.min(n, from + HASH_CHUNK);
        return lsh.hashRows(x, bh / heads, bh % heads, from, to, keys, bh * n + from,
                new float[lsh.hashScratchLength()]);
    }

    private static int[] checkKeys(int[] keys, long expected, int keyCount, String what) {
        if (keys.length != expected) {
            throw new IllegalArgumentException("injected " + what + " sort keys have " + keys.length
                    + " entries; expected " + expected);
        }
        for (int k : keys) {
            if (k < 0 || k >= keyCount) {
                throw new IllegalArgumentException("injected " + what + " sort key " + k + " is outside [0, "
                        + keyCount + ")");
            }
        }
        return keys;
    }
}

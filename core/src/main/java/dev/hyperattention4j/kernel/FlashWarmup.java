package dev.hyperattention4j.kernel;

import dev.hyperattention4j.runtime.Waiting;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;

/**
 * Start-up helper for the flash kernel's vector micro-kernels ({@link FlashTiles}). Vector API code runs about 100
 * times slower than compiled code until C2 has compiled it (interpreted and C1 code box every vector). The kernel's
 * own calls reach C2's thresholds only after hundreds of micro-kernel calls of full size; this daemon thread calls
 * the micro-kernels on tiny inputs (a few keys and columns: a few microseconds each once compiled, a fraction of a
 * millisecond before), through every branch they take in real calls (so C2 does not compile a branch away and
 * deoptimise later), until a round runs at compiled speed; then the same for small problems through
 * {@link FlashKernel} ({@link #flashFinished()}: what exact attention waits for) and, only once HyperAttention has
 * asked for it ({@link #requestBlockKernel()}), through its {@link HyperBlockKernel}: a phase exact attention does not
 * need must not take a core from its first call.
 *
 * <p>Rounds are timed in this thread's CPU time (a preempted round on a busy host must not look slow). If the
 * kernels do not reach compiled speed within {@link #GIVE_UP_NANOS} of CPU time, the warm-up stops and reports
 * {@link #finished()} without {@link #ready()}.
 */
public final class FlashWarmup {
    private static final boolean ENABLED = !"false".equals(System.getProperty("ha4j.warmup"));
    private static final long GIVE_UP_NANOS = 20_000_000_000L;
    /** Consecutive rounds under {@link #FAST_NANOS} that count as compiled. */
    private static final int FAST_RUNS = 20;
    private static final long FAST_NANOS = 25_000;
    /** The same for a round of {@link SmallProblems} (about 0.1 ms compiled; several ms before), either kind. */
    private static final long PATH_FAST_NANOS = 400_000;
    /**
     * Rounds after which every method of a round has passed C2's call and loop counts (at the launcher's threshold
     * scaling of 0.1: about 45 rounds of the micro-kernels); slow rounds after that rest between them.
     */
    private static final int THROTTLE_AFTER_ROUNDS = 64;
    private static final long MAX_REST_NANOS = 2_000_000;
    private static final boolean THROTTLE = !"false".equals(System.getProperty("ha4j.warmup.throttle"));
    private static volatile boolean ready = !ENABLED;
    private static volatile boolean finished = !ENABLED;
    /** The flash kernel's path is compiled, or the warm-up gave up on it (or is disabled). */
    private static volatile boolean flashFinished = !ENABLED;
    private static volatile boolean flashReady = !ENABLED;
    /** The same for the narrow value micro-kernels (head dims that leave a value block of 1-3 vectors). */
    private static volatile boolean narrowFinished = !ENABLED;
    /** HyperAttention is in use: warm its block kernel too, after the flash path (guarded by the class). */
    private static boolean blockRequested;
    private static boolean started;
    private static volatile long cpuNanos;
    private static volatile long phase1Nanos;
    private static volatile long finishedAt;
    /** JVM uptime (ms) at the warm-up's milestones: thread start, first round done, micro-kernels, kernel path. */
    private static volatile long startMs = -1, firstRoundMs = -1, microMs = -1, pathMs = -1, endMs = -1;

    private FlashWarmup() {}

    /** Whether the micro-kernels run at compiled speed (or the warm-up is disabled). */
    public static boolean ready() {
        return ready;
    }

    /** Whether the warm-up thread has ended (compiled, or given up). */
    public static boolean finished() {
        return finished;
    }

    /** Whether the exact kernel's path ({@link FlashKernel}, {@link PackedKeyValues}) is warm, or given up on. */
    public static boolean flashFinished() {
        return flashFinished;
    }

    /**
     * Whether the exact kernel's path for head dim {@code d} is warm (or given up on): {@link #flashFinished()},
     * and for a head dim whose values end in a narrow block ({@link FlashTiles#valueColumns2},
     * {@link FlashTiles#valueColumn}) the phase after it that compiles those.
     */
    public static boolean finishedFor(int d) {
        return flashFinished && (!needsNarrowBlocks(d) || narrowFinished);
    }

    static boolean needsNarrowBlocks(int d) {
        return PackedKeyValues.valueStride(d) % TileSizes.Flash.VALUE_BLOCK != 0;
    }

    /**
     * Asks for HyperAttention's block kernel to be warmed too (after the flash path; a new warm-up thread if the
     * first one has ended already). No-op when the warm-up is disabled or gave up.
     */
    public static synchronized void requestBlockKernel() {
        if (blockRequested || !ENABLED) {
            return;
        }
        blockRequested = true;
        if (started && finished && flashReady) {
            finished = false;
            Thread t = new Thread(FlashWarmup::runBlockKernel, "ha4j-block-warmup");
            t.setDaemon(true);
            t.start();
        }
    }

    /** The warm-up thread's CPU time so far: micro-kernels alone, then in all (for reports). */
    public static String describe() {
        return String.format(java.util.Locale.ROOT, "flash warm-up: %s after %.2f s of CPU time (micro-kernels %.2f s)",
                ready ? "compiled" : finished ? "gave up" : "running", cpuNanos / 1e9, phase1Nanos / 1e9);
    }

    /**
     * When (seconds after JVM start) the warm-up thread started, finished its first round (the Vector API's
     * initialisation), had the micro-kernels and the kernel path compiled, and ended; "-" for a step not reached.
     */
    public static String timeline() {
        return "warm-up timeline (s after JVM start): thread " + seconds(startMs) + ", first round " + seconds(firstRoundMs)
                + ", micro-kernels compiled " + seconds(microMs) + ", kernel path " + seconds(pathMs) + ", end "
                + seconds(endMs);
    }

    private static String seconds(long ms) {
        return ms < 0 ? "-" : String.format(java.util.Locale.ROOT, "%.2f", ms / 1e3);
    }

    private static long uptimeMs() {
        return ManagementFactory.getRuntimeMXBean().getUptime();
    }

    /** {@link System#nanoTime()} when the warm-up ended (0 while it runs). */
    public static long finishedNanoTime() {
        return finished ? finishedAt : 0;
    }

    /** Starts the warm-up thread once per JVM (no-op when disabled or already started). */
    public static synchronized void start() {
        if (started || finished) {
            return;
        }
        started = true;
        Thread t = new Thread(FlashWarmup::run, "ha4j-flash-warmup");
        t.setDaemon(true);
        t.start();
    }

    /** Starts the warm-up if needed and waits until it has ended; returns {@link #ready()}. */
    public static boolean awaitFinished() {
        start();
        Waiting.until(() -> finished);
        return ready;
    }

    /** Starts the warm-up if needed and waits until the exact kernel's path is warm (or given up on). */
    public static boolean awaitFlash() {
        start();
        Waiting.until(() -> flashFinished);
        return flashReady;
    }

    /** Starts the warm-up if needed and waits until {@link #finishedFor(int)} head dim {@code d}. */
    public static void awaitFor(int d) {
        start();
        Waiting.until(() -> finishedFor(d));
    }

    private static void run() {
        startMs = uptimeMs();
        ThreadMXBean cpu = ManagementFactory.getThreadMXBean();
        boolean compiled = false;
        long start = cpu.getCurrentThreadCpuTime();
        Inputs in = new Inputs();
        try {
            // first the micro-kernels alone (calls of a few µs once compiled), then the whole kernel path on a small
            // problem (packing, query layout, the tile loops around the micro-kernels)
            in.round();
            firstRoundMs = uptimeMs();
            compiled = untilFast(cpu, start, in::round, FAST_NANOS);
            phase1Nanos = cpu.getCurrentThreadCpuTime() - start;
            microMs = compiled ? uptimeMs() : -1;
            if (compiled) {
                compiled = untilFast(cpu, start, new SmallProblems()::round, PATH_FAST_NANOS);
                pathMs = compiled ? uptimeMs() : -1;
            }
        } finally {
            cpuNanos = cpu.getCurrentThreadCpuTime() - start;
            flashReady = compiled;
            flashFinished = true;
        }
        try {
            // the value kernels of head dims that are not a multiple of 4 vectors: after the common path, so that
            // C2 compiles them after what every call needs
            if (compiled) {
                compiled = untilFast(cpu, start, in::narrowRound, FAST_NANOS);
            }
        } finally {
            narrowFinished = true;
        }
        // HyperAttention's block kernel (the same tiles, its masks and epilogue), when it is in use; checked and ended
        // under the lock, so a request made meanwhile either is seen here or starts a thread of its own
        synchronized (FlashWarmup.class) {
            if (!compiled || !blockRequested) {
                end(compiled);
                return;
            }
        }
        try {
            compiled = untilFast(cpu, start, new SmallProblems()::blockRound, PATH_FAST_NANOS);
            cpuNanos = cpu.getCurrentThreadCpuTime() - start;
        } finally {
            end(compiled);
        }
    }

    /** The block-kernel phase alone, for a request made after the first warm-up thread ended. */
    private static void runBlockKernel() {
        ThreadMXBean cpu = ManagementFactory.getThreadMXBean();
        boolean compiled = false;
        try {
            long start = cpu.getCurrentThreadCpuTime();
            compiled = untilFast(cpu, start, new SmallProblems()::blockRound, PATH_FAST_NANOS);
        } finally {
            end(compiled);
        }
    }

    private static synchronized void end(boolean compiled) {
        endMs = uptimeMs();
        finishedAt = System.nanoTime();
        ready = compiled;
        finished = true;
    }

    /** Runs {@code round} until {@link #FAST_RUNS} consecutive rounds take under {@code fastNanos} of CPU time. */
    private static boolean untilFast(ThreadMXBean cpu, long start, Runnable round, long fastNanos) {
        int fast = 0;
        for (int rounds = 1; fast < FAST_RUNS && cpu.getCurrentThreadCpuTime() - start < GIVE_UP_NANOS; rounds++) {
            long t0 = cpu.getCurrentThreadCpuTime();
            round.run();
            long took = cpu.getCurrentThreadCpuTime() - t0;
            fast = took < fastNanos ? fast + 1 : 0;
            if (fast == 0 && rounds > THROTTLE_AFTER_ROUNDS && THROTTLE) {
                // the methods have passed C2's thresholds by now: more slow rounds only take a core from the compiler
                // threads (and make more of the Vector API's own fallback code hot enough to compile): rest as long
                // as the round ran
                java.util.concurrent.locks.LockSupport.parkNanos(Math.min(took, MAX_REST_NANOS));
            }
        }
        return fast >= FAST_RUNS;
    }

    /**
     * Small attention problems through {@link PackedKeyValues}, {@link FlashKernel} and HyperAttention's
     * {@link HyperBlockKernel} as the attention classes call them: head dims 64 (one query column block, gathered key
     * transpose) and 128 (two column blocks, two value blocks), a key count that leaves a partial tile, causal and
     * full; for the block kernel a sample part with a hole (its own block's samples) and the epilogue with and
     * without a prior result (the causal recursion's merge).
     */
    static final class SmallProblems {
        private static final int KEYS = 2 * TileSizes.Flash.KEY_TILE + 44;
        private static final int QUERIES = 2 * TileSizes.Flash.REGISTER_ROWS + 3;
        private final dev.hyperattention4j.tensor.FloatTensor[] q = new dev.hyperattention4j.tensor.FloatTensor[2];
        private final dev.hyperattention4j.tensor.FloatTensor[] k = new dev.hyperattention4j.tensor.FloatTensor[2];
        private final dev.hyperattention4j.tensor.FloatTensor[] v = new dev.hyperattention4j.tensor.FloatTensor[2];
        private final FlashKernel[] kernels = new FlashKernel[2];
        private final HyperBlockKernel[] blockKernels = new HyperBlockKernel[2];
        private final PackedKeyValues packed = new PackedKeyValues();
        private final float[] out = new float[QUERIES * 128];
        private final float[] lse = new float[QUERIES];
        /** Query rows in the order HyperAttention gathers them (here: 0, 1, 2, ...). */
        private final int[] queryRows = new int[QUERIES];
        private final float[] prior = filled(QUERIES * 128, 11), priorLse = filled(QUERIES, 13);
        /** The block kernel's results of the last round (its epilogue with a prior result). */
        final float[] blockOut = new float[QUERIES * 128], blockLse = new float[QUERIES];

        SmallProblems() {
            int[] dims = {64, 128};
            for (int i = 0; i < 2; i++) {
                int d = dims[i];
                q[i] = dev.hyperattention4j.tensor.FloatTensor.of(filled(QUERIES * d, 3), 1, 1, QUERIES, d);
                k[i] = dev.hyperattention4j.tensor.FloatTensor.of(filled(KEYS * d, 5), 1, 1, KEYS, d);
                v[i] = dev.hyperattention4j.tensor.FloatTensor.of(filled(KEYS * d, 7), 1, 1, KEYS, d);
                kernels[i] = new FlashKernel(d);
                blockKernels[i] = new HyperBlockKernel(d);
            }
            for (int r = 0; r < QUERIES; r++) {
                queryRows[r] = r;
            }
        }

        private static float[] filled(int n, int seed) {
            float[] x = new float[n];
            for (int i = 0; i < n; i++) {
                x[i] = ((i * seed) % 17 - 8) * 0.1f;
            }
            return x;
        }

        private int rounds;

        void round() {
            // every 4th round on fresh scratch: the growth branches of packQueries and of the packing stay in the
            // profile (left untaken, C2 compiles them as traps that deoptimise on the first large call)
            final boolean fresh = (rounds++ & 3) == 0;
            for (int i = 0; i < 2; i++) {
                if (fresh) {
                    kernels[i] = new FlashKernel(kernels[i].dim());
                }
                final PackedKeyValues kv = fresh ? new PackedKeyValues() : packed;
                kv.pack(k[i], v[i], 0, 0, null, 0, KEYS);
                boolean finite = kv.tileFinite(0);
                FlashKernel kernel = kernels[i];
                kernel.packQueries(q[i], 0, 0, null, 0, QUERIES, 0.125f);
                finite &= kernel.queriesFinite();
                kernel.attend(kv, 0, KEYS, FlashKernel.NO_MASK, out, 0, lse, 0);
                // causal, queries aligned to the end of the keys: tiles cut by the diagonal and skipped ones
                kernel.attend(kv, 0, KEYS, KEYS - QUERIES, out, 0, finite ? lse : null, 0);
            }
        }

        /** The d = 128 problem's output of the last {@link #round} (its causal call). */
        float[] lastOut() {
            return java.util.Arrays.copyOf(out, QUERIES * 128);
        }

        /**
         * HyperAttention's block kernel in its two shapes of call: a block part and a sample part with a hole,
         * merged; a block part merged with a prior result.
         */
        void blockRound() {
            for (int i = 0; i < 2; i++) {
                packed.pack(k[i], v[i], 0, 0, null, 0, KEYS);
                HyperBlockKernel kernel = blockKernels[i];
                kernel.packQueries(q[i], 0, 0, queryRows, 0, QUERIES, 0.125f);
                kernel.blockPart(packed, KEYS);
                kernel.samplePart(packed, TileSizes.Flash.KEY_TILE, 5, 9);
                kernel.finish(-1f, null, priorLse, out, 0, lse, 0);
                kernel.packQueries(q[i], 0, 0, queryRows, 0, QUERIES, 0.125f);
                kernel.blockPart(packed, 37);
                kernel.finish(0f, prior, priorLse, blockOut, 0, blockLse, 0);
            }
        }
    }

    /** Tiny inputs for every micro-kernel and every branch of it; see {@link FlashTiles}. */
    static final class Inputs {
        private static final int LANES = VectorWidth.LANES;
        private static final int BASE = FlashTiles.BASE;
        private static final int T = TileSizes.Flash.KEY_TILE;
        private static final int ROWS = TileSizes.Flash.REGISTER_ROWS;
        /** Columns of a score step and keys of a value step: enough that C2 sees a loop, not a constant trip. */
        private static final int STEPS = 8;
        /** A value stride with a 4-vector block and a 1-vector rest, so both value kernels run. */
        private static final int DP = 5 * LANES;

        final float[] q = new float[2 * ROWS * TileSizes.Flash.QUERY_BLOCK];
        final float[] kT = new float[STEPS * TileSizes.Flash.KEY_BLOCK];
        final float[] v = new float[STEPS * DP];
        final float[] sb = new float[BASE + ROWS * T];
        final float[] laneMax = new float[BASE + ROWS * LANES];
        final float[] m = new float[ROWS];
        final float[] laneSum = new float[BASE + ROWS * LANES];
        final float[] o = new float[BASE + ROWS * DP];

        Inputs() {
            for (int i = 0; i < q.length; i++) {
                q[i] = ((i * 7) % 11 - 5) * 0.05f;
            }
            for (int i = 0; i < kT.length; i++) {
                kT[i] = ((i * 5) % 13 - 6) * 0.05f;
            }
            for (int i = 0; i < v.length; i++) {
                v[i] = ((i * 3) % 7 - 3) * 0.1f;
            }
        }

        /** One call of each micro-kernel path, with the mix of branches a causal and a full call take. */
        void round() {
            final int qb = TileSizes.Flash.QUERY_BLOCK;
            // scores: one column block (d <= 64: first and last), two (d > 64), the lane maxima folded or not
            FlashTiles.scoreBlock(q, 0, STEPS, kT, 0, sb, BASE, true, true, false, laneMax, BASE);
            FlashTiles.scoreBlock(q, 0, STEPS, kT, 0, sb, BASE + TileSizes.Flash.KEY_BLOCK, true, true, true,
                    laneMax, BASE);
            FlashTiles.scoreBlock(q, 0, STEPS, kT, 0, sb, BASE, true, false, false, laneMax, BASE);
            FlashTiles.scoreBlock(q, ROWS * qb, STEPS, kT, 0, sb, BASE, false, true, true, laneMax, BASE);
            // a diagonal tile: rows that see part of it (each micro-kernel is called about equally often per
            // round, so that all reach C2's thresholds after about the same number of rounds)
            FlashTiles.maskRow(sb, BASE, 0, 3, laneMax, BASE);
            FlashTiles.maskRow(sb, BASE + T, 2, T - 1, laneMax, BASE + LANES);
            FlashTiles.maskRow(sb, BASE + 2 * T, 0, T - 5, laneMax, BASE + 2 * LANES);
            FlashTiles.maskRow(sb, BASE + 3 * T, 7, T, laneMax, BASE + 3 * LANES);
            // softmax: a row's first tile (the max moves from -inf), a later one under the lazy max, one whose
            // scores all lie below 0 (the exact-max pass), one that moves the max up (rescale), a row that sees no
            // key (all -inf)
            m[0] = Float.NEGATIVE_INFINITY;
            m[1] = 4f;
            m[2] = Float.NEGATIVE_INFINITY;
            m[3] = -30f;
            m[4] = Float.NEGATIVE_INFINITY;
            java.util.Arrays.fill(sb, BASE + 2 * T, BASE + 3 * T, -1.5f);
            java.util.Arrays.fill(laneMax, BASE + 2 * LANES, BASE + 3 * LANES, -1.5f);
            java.util.Arrays.fill(sb, BASE + 4 * T, BASE + 5 * T, Float.NEGATIVE_INFINITY);
            java.util.Arrays.fill(laneMax, BASE + 4 * LANES, BASE + 5 * LANES, Float.NEGATIVE_INFINITY);
            for (int r = 0; r < 5; r++) {
                FlashTiles.softmaxRow(sb, BASE + r * T, r, laneMax, m, laneSum, o, DP, T);
            }
            // values: the 4-vector block of dp = 5 vectors
            for (int i = 0; i < 4; i++) {
                FlashTiles.valueBlock(sb, STEPS, v, 0, o, BASE, DP, 0);
            }
            java.util.Arrays.fill(laneSum, 0f);
            java.util.Arrays.fill(o, 0f);
        }

        /** The narrow value kernels: the 1-vector rest of dp = 5 vectors, the 2-vector block of d = 2 vectors. */
        void narrowRound() {
            for (int i = 0; i < 4; i++) {
                FlashTiles.valueColumns2(sb, STEPS, v, 0, 2 * LANES, o, BASE, DP, 3 * LANES);
                FlashTiles.valueColumn(sb, STEPS, v, 4 * LANES * STEPS, LANES, o, BASE, DP, 4 * LANES);
            }
            java.util.Arrays.fill(o, 0f);
        }
    }
}

package dev.hyperattention4j.llm.runtime;

import dev.hyperattention4j.kernel.AttentionRow;
import dev.hyperattention4j.runtime.Waiting;

/**
 * Start-up helper for the vector kernels. Vector API code runs 100× slower than scalar code until C2 has compiled
 * it (interpreted and C1 code box every vector), which made the first prompt of a fresh JVM take seconds. So one
 * daemon thread runs the vector kernels on small dummy inputs until they run at compiled speed; until then every
 * kernel of the forward pass ({@link PanelLinear}, {@link AttentionRow}, {@link Vectors}) takes a scalar path with
 * the same operations (bit-identical results) that is fast from the first call.
 *
 * <p>The thread starts early ({@link #start}, at model load or before: it then initialises the Vector API classes
 * while the model file is parsed), but compiles the kernels only after {@link #release} (the end of the first
 * forward call, or its start when the prompt is long): on a 2-core machine the warm-up and the C2 compilations it
 * triggers would otherwise compete with the first prompt for the cores and delay the first token.
 * {@code -Dha4j.warmup=false} disables the thread and uses the vector path from the start.
 *
 * <p>Rounds are timed in the warm-up thread's CPU time, not wall time: on a busy host a preempted round looked slow,
 * the count of fast rounds kept restarting, the warm-up gave up after its time limit and switched every kernel to a
 * vector path that C2 had not compiled yet (interpreted Vector API code boxes every vector: generate then decoded at
 * 2-10 % of bench-model's speed). If the kernels still do not run at compiled speed after {@link #GIVE_UP_NANOS} of
 * CPU time, the scalar paths stay in use.
 */
final class KernelWarmup {
    private static final boolean ENABLED = !"false".equals(System.getProperty("ha4j.warmup"));
    private static final long GIVE_UP_NANOS = 10_000_000_000L;
    /** Consecutive rounds under {@link #FAST_NANOS} that count as compiled. */
    private static final int FAST_RUNS = 30;
    private static final long FAST_NANOS = 2_000_000;
    private static volatile boolean ready = !ENABLED;
    /** The warm-up has ended (compiled, or given up: then {@link #ready} stays false). */
    private static volatile boolean finished = !ENABLED;
    private static boolean started;
    private static boolean released;
    /**
     * The packed-weight kernels in use ({@link #require}, by every {@link QuantLinear} of a loaded model) and those
     * compiled by a warm-up. Only the kernels in use are warmed: warming all twelve took seconds of C2 time on a busy
     * 2-core host, and an F32 model (both small shared models) needs none of them.
     */
    private static final java.util.Set<BlockKernel> requested = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private static final java.util.Set<BlockKernel> warmed = java.util.concurrent.ConcurrentHashMap.newKeySet();
    /** Warm-ups of single packed kernels still running ({@link #warmLate}). */
    private static final java.util.concurrent.atomic.AtomicInteger lateRunning =
            new java.util.concurrent.atomic.AtomicInteger();

    private KernelWarmup() {
    }

    /** Whether the warm-up has ended (compiled or given up). */
    static boolean finished() {
        return finished;
    }

    /** Whether the vector kernels are compiled (or the warm-up is disabled). */
    static boolean ready() {
        return ready;
    }

    /**
     * Whether packed-weight kernel {@code kernel} is compiled too (or the warm-up is disabled): it must have been
     * {@link #require required} and warmed.
     */
    static boolean ready(BlockKernel kernel) {
        return !ENABLED || ready && (kernel == null || warmed.contains(kernel));
    }

    /**
     * Says that packed-weight kernel {@code kernel} is in use (a model layer reads it): the warm-up compiles it with
     * the others, or, when the warm-up has ended already, a warm-up of its own does.
     */
    static void require(BlockKernel kernel) {
        if (!ENABLED || kernel == null || !requested.add(kernel)) {
            return;
        }
        synchronized (KernelWarmup.class) {
            if (finished && ready) {
                startLate(kernel);
            }
        }
    }

    /** Lets the warm-up compile the kernels (the first prompt is done, or is long enough to profit at once). */
    static void release() {
        if (!ready) {
            synchronized (KernelWarmup.class) {
                released = true;
                KernelWarmup.class.notifyAll();
            }
        }
    }

    private static synchronized void awaitRelease() throws InterruptedException {
        while (!released) {
            KernelWarmup.class.wait();
        }
    }

    /**
     * Waits until the warm-up has finished, the warm-ups of packed kernels required later included (benchmarks and
     * tests that compare runs bit for bit call this first).
     */
    static void awaitReady() {
        start();
        release();
        Waiting.until(() -> finished && lateRunning.get() == 0);
    }

    static synchronized void start() {
        if (started || ready) {
            return;
        }
        started = true;
        Thread t = new Thread(KernelWarmup::run, "ha4j-kernel-warmup");
        t.setDaemon(true);
        t.setPriority(Thread.MIN_PRIORITY);
        t.start();
    }

    private static void run() {
        int rows = 80, cols = 128, tokens = 17;   // 5 blocks: k8x2 pairs, a k1x1 tail; k1x4 for one token
        float[] w = new float[rows * cols];
        for (int i = 0; i < w.length; i++) {
            w[i] = (i % 7) * 0.01f;
        }
        PanelLinear lin = PanelLinear.of(w, rows, cols);
        float[] x = new float[tokens * cols];
        int os = lin.paddedRows();
        float[] out = new float[tokens * os];
        // attention rows for both branches (head dim a multiple of the vector width or not) and a ragged tail, so
        // C2 does not compile one branch and deoptimise when the other shows up
        int keys = 200;
        float[] q = new float[16], kt = new float[16 * keys], vv = new float[16 * keys], s = new float[4 * (keys + 16)];
        float[] o = new float[16];
        for (int i = 0; i < kt.length; i++) {
            kt[i] = (i % 5) * 0.1f;
            vv[i] = (i % 3) * 0.1f;
        }
        PackedInputs quant = new PackedInputs();
        java.util.List<BlockKernel> kernels = new java.util.ArrayList<>();
        int fast = 0;
        java.lang.management.ThreadMXBean cpu = java.lang.management.ManagementFactory.getThreadMXBean();
        boolean compiled = false;
        try {
            // one pass initialises the Vector API classes and bootstraps their lambdas (about 0.1 s), in parallel
            // with the model parsing on the main thread; the compiling loop waits for release()
            lin.applyVector(x, 0, cols, 1, out, 0, os, 0, rows);
            AttentionRow.row(q, 0, kt, 0, keys, vv, 0, 16, keys, 0.25f, s, o, 0);
            AttentionRow.rows4(q, 0, 0, kt, 0, keys, vv, 0, 16, keys - 3, 0.25f, s, keys + 16, out, 0, 16);
            Vectors.siluMulVector(out, 0, x, 0, 100);
            Vectors.rmsNormVector(out, 0, x, 1e-5f, out, 0, 100);
            awaitRelease();
            long start = cpu.getCurrentThreadCpuTime();
            while (fast < FAST_RUNS && cpu.getCurrentThreadCpuTime() - start < GIVE_UP_NANOS) {
                if (kernels.size() < requested.size()) {   // a model's layers asked for more packed kernels
                    kernels = new java.util.ArrayList<>(requested);
                    fast = 0;
                }
                long t0 = cpu.getCurrentThreadCpuTime();
                lin.applyVector(x, 0, cols, tokens, out, 0, os, 0, rows);
                lin.applyVector(x, 0, cols, 1, out, 0, os, 0, rows);
                AttentionRow.row(q, 0, kt, 0, keys, vv, 0, 16, keys, 0.25f, s, o, 0);
                AttentionRow.row(q, 0, kt, 0, keys, vv, 0, 8, 37, 0.25f, s, o, 0);
                AttentionRow.rows4(q, 0, 0, kt, 0, keys, vv, 0, 16, keys - 3, 0.25f, s, keys + 16, out, 0, 16);
                Vectors.siluMulVector(out, 0, x, 0, 100);
                Vectors.rmsNormVector(out, 0, x, 1e-5f, out, 0, 100);
                Vectors.addVector(out, 0, x, 0, 100);
                Vectors.logSumExp(out, 0, 100);
                for (BlockKernel k : kernels) {
                    quant.round(k);
                }
                long t1 = cpu.getCurrentThreadCpuTime();
                // compiled: tens to hundreds of µs (the round includes 32-token prefills of the packed types in use,
                // slower at forced narrow widths); interpreted or C1 (boxed vectors): tens of ms
                fast = t1 - t0 < FAST_NANOS ? fast + 1 : 0;
            }
            compiled = fast >= FAST_RUNS;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            synchronized (KernelWarmup.class) {
                if (compiled) {
                    warmed.addAll(kernels);
                    // kernels required while the last rounds ran: a warm-up of their own (require saw it running)
                    for (BlockKernel k : requested) {
                        if (!warmed.contains(k)) {
                            startLate(k);
                        }
                    }
                }
                ready = compiled;
                finished = true;
            }
            if (!compiled) {
                System.getLogger(KernelWarmup.class.getName()).log(System.Logger.Level.WARNING,
                        "the vector kernels did not reach compiled speed; the scalar kernels stay in use");
            }
        }
    }

    private static void startLate(BlockKernel kernel) {
        lateRunning.incrementAndGet();
        Thread t = new Thread(() -> {
            try {
                warmLate(kernel);
            } finally {
                lateRunning.decrementAndGet();
            }
        }, "ha4j-kernel-warmup-late");
        t.setDaemon(true);
        t.setPriority(Thread.MIN_PRIORITY);
        t.start();
    }

    /** Warms one packed kernel required after the main warm-up ended; it stays on its scalar path until then. */
    private static void warmLate(BlockKernel kernel) {
        PackedInputs quant = new PackedInputs();
        java.lang.management.ThreadMXBean cpu = java.lang.management.ManagementFactory.getThreadMXBean();
        long start = cpu.getCurrentThreadCpuTime();
        int fast = 0;
        while (fast < FAST_RUNS && cpu.getCurrentThreadCpuTime() - start < GIVE_UP_NANOS) {
            long t0 = cpu.getCurrentThreadCpuTime();
            quant.round(kernel);
            fast = cpu.getCurrentThreadCpuTime() - t0 < FAST_NANOS ? fast + 1 : 0;
        }
        if (fast >= FAST_RUNS) {
            warmed.add(kernel);
        }
    }

    /**
     * A small layer of each packed type, in native memory like a mapped file (a heap segment would teach C2 the wrong
     * segment class); zero bytes decode to finite weights in every layout. One round: a decode and a 32-token
     * prefill product.
     */
    private static final class PackedInputs {
        private static final int COLS = 256;
        private final java.util.Map<BlockKernel, QuantLinear> layers = new java.util.HashMap<>();
        private final float[] x = new float[32 * COLS], out = new float[32 * 16];
        private float[] scratch = new float[0];

        void round(BlockKernel kernel) {
            QuantLinear layer = layers.computeIfAbsent(kernel, k -> {
                dev.hyperattention4j.llm.model.DType type = typeOf(k);
                java.lang.foreign.MemorySegment seg = java.lang.foreign.Arena.ofAuto().allocate(
                        type.bytesFor(8L * COLS), 64);
                return new QuantLinear(new dev.hyperattention4j.llm.model.WeightTensor("warm-up", type,
                        new long[] {8, COLS}, seg), k);
            });
            if (scratch.length < layer.scratchSize()) {
                scratch = new float[layer.scratchSize()];
            }
            layer.applyVector(x, 0, COLS, 1, out, 0, 16, 0, 8, scratch);
            layer.applyVector(x, 0, COLS, 32, out, 0, 16, 0, 8, scratch);
        }

        private static dev.hyperattention4j.llm.model.DType typeOf(BlockKernel kernel) {
            for (dev.hyperattention4j.llm.model.DType type : dev.hyperattention4j.llm.model.DType.values()) {
                if (BlockKernel.forType(type) == kernel) {
                    return type;
                }
            }
            throw new IllegalArgumentException("no packed type reads with " + kernel);
        }
    }
}

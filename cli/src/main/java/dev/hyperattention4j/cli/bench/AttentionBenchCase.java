package dev.hyperattention4j.cli.bench;

import dev.hyperattention4j.attention.Attention;
import dev.hyperattention4j.attention.FlashAttention;
import dev.hyperattention4j.reference.NaiveAttention;
import dev.hyperattention4j.attention.hyper.HyperAttention;
import dev.hyperattention4j.attention.hyper.HyperConfig;
import dev.hyperattention4j.runtime.WorkerPool;

/**
 * One row family of the {@code bench} table: an attention implementation and the sizes it is timed at. The exact
 * tiled kernel ({@link #flash()}) is the reference of every (n, d, mask, threads) point; other cases (the naive
 * baselines, or HyperAttention from its own branch) get a speedup-vs-exact and an error column. To add an
 * implementation, add a case to {@link BenchCommand#cases()}.
 */
public interface AttentionBenchCase {

    /** Short name for the table ("flash", "naive", "matmul", "hyper"). */
    String name();

    /** Whether this is the exact reference kernel the other cases are compared with. */
    default boolean reference() {
        return false;
    }

    /** Whether this case computes less than exact attention (then GFLOP/s and % of peak are not reported). */
    default boolean approximate() {
        return false;
    }

    /** Whether to time this case at sequence length n with this many threads. */
    boolean runs(int n, int threads);

    /** A fresh implementation running on {@code pool}. */
    Attention create(WorkerPool pool);

    /** The project's exact tiled kernel: every size, every thread count. */
    static AttentionBenchCase flash() {
        return new AttentionBenchCase() {
            public String name() { return "flash"; }
            public boolean reference() { return true; }
            public boolean runs(int n, int threads) { return true; }
            public Attention create(WorkerPool pool) { return new FlashAttention(pool); }
        };
    }

    /**
     * HyperAttention with the paper's defaults (b = m = 256, r = 7, minSeqLen 4096): every size and thread count.
     * Below minSeqLen (non-causal) or at most minSeqLen (causal) it returns the exact kernel's result. An
     * approximation: only its speedup over the exact kernel and its error are meaningful, not its GFLOP/s.
     */
    static AttentionBenchCase hyper() {
        return new AttentionBenchCase() {
            public String name() { return "hyper"; }
            public boolean approximate() { return true; }
            public boolean runs(int n, int threads) { return true; }
            public Attention create(WorkerPool pool) { return new HyperAttention(HyperConfig.defaults(), pool); }
        };
    }

    /** The double-precision loop oracle: single-threaded, O(n²·d) scalar work, only up to {@code maxN}. */
    static AttentionBenchCase naive(int maxN) {
        return new AttentionBenchCase() {
            public String name() { return "naive-loop"; }
            public boolean runs(int n, int threads) { return n <= maxN && threads == 1; }
            public Attention create(WorkerPool pool) { return new NaiveAttention(); }
        };
    }

    /** Full score matrix, row softmax, second matmul: single-threaded, n×n floats, only up to {@code maxN}. */
    static AttentionBenchCase matmulSoftmax(int maxN) {
        return new AttentionBenchCase() {
            public String name() { return "matmul-softmax"; }
            public boolean runs(int n, int threads) { return n <= maxN && threads == 1; }
            public Attention create(WorkerPool pool) { return new MatmulSoftmaxBaseline(); }
        };
    }
}

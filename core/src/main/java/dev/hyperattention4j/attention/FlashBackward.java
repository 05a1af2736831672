package dev.hyperattention4j.attention;

import dev.hyperattention4j.kernel.BackwardInputs;
import dev.hyperattention4j.kernel.BackwardKernel;
import dev.hyperattention4j.kernel.TileSizes;
import dev.hyperattention4j.runtime.WorkerPool;
import dev.hyperattention4j.tensor.FloatTensor;

/**
 * Exact tiled attention backward (FlashAttention-2's algorithm): gradients of {@code softmax(s·Q·Kᵀ + mask)·V}
 * with respect to Q, K and V from Q, K, V, the output O, the saved log-sum-exp L and dO, never holding an nq×nk
 * buffer: tile probabilities are recomputed from L, with {@code Δ = rowsum(dO ∘ O) − dL}.
 *
 * <p>Per (batch, KV head) it packs K and V once ({@link BackwardInputs}); per query head of the GQA group and per
 * block of at most {@link TileSizes.Backward#CHUNK_ROWS} query rows it runs {@code chunks} parallel units. Unit c owns
 * the key tiles {@code t ≡ c (mod chunks)}: it alone accumulates their dK and dV (over every query head of the group,
 * so shared KV heads get the sum), and it writes its share of dQ to its own partial buffer. The partials are then
 * summed in chunk order. No two units write the same memory, each sum has a fixed order, and the number of chunks
 * is fixed per instance, so results are bit-identical for any number of threads. Interleaving the key tiles keeps
 * the chunks balanced under the causal mask; more threads than chunks leave threads idle. Each tile pair costs five
 * Br×Bc×d products: 2.5 times the forward's two.
 */
public final class FlashBackward {
    /** Default number of key-tile chunks: enough parallelism for 8 threads. */
    public static final int DEFAULT_CHUNKS = 8;

    private final WorkerPool pool;
    private final int chunks;

    public FlashBackward(WorkerPool pool) {
        this(pool, DEFAULT_CHUNKS);
    }

    /** {@code chunks} fixes the work split (and so the summation order); use at least the pool's thread count. */
    public FlashBackward(WorkerPool pool, int chunks) {
        this.pool = java.util.Objects.requireNonNull(pool, "pool");
        if (chunks < 1 || chunks > 1024) {
            throw new IllegalArgumentException("chunks must be in [1, 1024], got " + chunks);
        }
        this.chunks = chunks;
    }

    public WorkerPool pool() {
        return pool;
    }

    /**
     * Gradients for problem {@code p}, whose output and log-sum-exp must hold the forward pass's results.
     *
     * @param outputGrad dLoss/dO, shaped like the output
     * @param lseGrad    dLoss/dL {@code [B][Hq][nq]}, or null when the loss does not use the log-sum-exp
     */
    public Gradients backward(AttentionProblem p, FloatTensor outputGrad, float[] lseGrad) {
        checkArguments(p, outputGrad, lseGrad);
        Gradients grads = Gradients.zerosLike(p);
        float[] delta = delta(pool, p, outputGrad, lseGrad);
        Session s = new Session(p, outputGrad, p.logSumExp(), delta, grads, p.queryLength(), p.keyLength());
        for (int b = 0; b < p.batch(); b++) {
            for (int kvh = 0; kvh < p.kvHeads(); kvh++) {
                s.accumulate(b, kvh, 0, p.queryLength(), 0, p.keyLength(), p.causal());
            }
        }
        return grads;
    }

    /**
     * A backward session over one problem: reusable buffers for sub-problems of contiguous rows (the whole call,
     * or HyperAttention's exact causal leaves) whose gradients are added to {@code grads}.
     */
    public Session session(AttentionProblem p, FloatTensor outputGrad, float[] lseOf, float[] delta, Gradients grads,
                           int maxQueries, int maxKeys) {
        return new Session(p, outputGrad, lseOf, delta, grads, maxQueries, maxKeys);
    }

    /** Reusable buffers of one backward call; see {@link #session}. */
    public final class Session {
        private final AttentionProblem p;
        private final FloatTensor outputGrad;
        private final float[] lseOf, delta;
        private final Gradients grads;
        private final BackwardInputs in;
        private final BackwardKernel[] kernels;

        Session(AttentionProblem p, FloatTensor outputGrad, float[] lseOf, float[] delta, Gradients grads,
                int maxQueries, int maxKeys) {
            this.p = p;
            this.outputGrad = outputGrad;
            this.lseOf = lseOf;
            this.delta = delta;
            this.grads = grads;
            this.in = new BackwardInputs(p.headDim(), maxQueries, maxKeys, chunks);
            this.kernels = new BackwardKernel[pool.threads()];
        }

        /**
         * Adds the gradients of exact attention of query rows {@code [qFrom, qFrom + nq)} of every query head of KV
         * group {@code [b][kvh]} against keys {@code [kFrom, kFrom + nk)}, with the end-aligned causal mask when
         * {@code causal}. Probabilities use the rows' L from {@code lseOf} and Δ from {@code delta}
         * ({@code [B][Hq][nq]} like the problem's log-sum-exp).
         */
        public void accumulate(int b, int kvh, int qFrom, int nq, int kFrom, int nk, boolean causal) {
            int d = p.headDim(), g = p.groupSize();
            in.reset(nq, nk);
            int qTiles = in.queryTiles(), kTiles = in.keyTiles();
            int blockTiles = TileSizes.Backward.CHUNK_ROWS / TileSizes.Backward.QUERY_TILE;
            pool.run(kTiles, (w, t) -> in.packKeyTile(p.key(), p.value(), b, kvh, null, kFrom, t,
                    kernel(kernels, w, d).rowScratch()));
            for (int h = kvh * g; h < (kvh + 1) * g; h++) {
                final int hh = h;
                int statBase = p.lseIndex(b, h, 0);
                pool.run(qTiles, (w, t) -> {
                    int q0 = t * TileSizes.Backward.QUERY_TILE;
                    in.packQueries(p.query(), outputGrad, lseOf, delta, statBase, 0f, b, hh, null, qFrom, q0,
                            Math.min(nq, q0 + TileSizes.Backward.QUERY_TILE), p.scale());
                });
                for (int t0 = 0; t0 < qTiles; t0 += blockTiles) {
                    final int from = t0, to = Math.min(qTiles, t0 + blockTiles);
                    pool.run(chunks, (w, c) -> in.runChunk(kernel(kernels, w, d), c, from, to, causal));
                    pool.run(to - from, (w, u) -> {
                        BackwardKernel k = kernel(kernels, w, d);
                        in.addQueryTile(from, from + u, p.scale(), grads.query(), b, hh, qFrom, k.rowScratch(),
                                k.addScratch());
                    });
                }
            }
            pool.run(kTiles, (w, t) -> in.addKeyTile(t, grads.key(), grads.value(), b, kvh, kFrom,
                    kernel(kernels, w, d).addScratch()));
        }
    }

    /** {@code Δ = rowsum(dO ∘ O) − dL} for every query row, {@code [B][Hq][nq]}; O(n·d), accumulated in double. */
    public static float[] delta(WorkerPool pool, AttentionProblem p, FloatTensor outputGrad, float[] lseGrad) {
        int nq = p.queryLength(), d = p.headDim(), heads = p.batch() * p.queryHeads();
        float[] delta = new float[Math.toIntExact((long) heads * nq)];
        pool.run(heads, (w, bh) -> {
            int b = bh / p.queryHeads(), h = bh % p.queryHeads();
            float[] o = new float[d], g = new float[d];
            for (int i = 0; i < nq; i++) {
                p.output().readRow(b, h, i, o, 0);
                outputGrad.readRow(b, h, i, g, 0);
                double dot = 0;
                for (int c = 0; c < d; c++) {
                    dot += (double) o[c] * g[c];
                }
                int li = p.lseIndex(b, h, i);
                delta[li] = (float) (dot - (lseGrad == null ? 0 : lseGrad[li]));
            }
        });
        return delta;
    }

    private static BackwardKernel kernel(BackwardKernel[] kernels, int worker, int d) {
        BackwardKernel k = kernels[worker];
        if (k == null) {
            k = kernels[worker] = new BackwardKernel(d);
        }
        return k;
    }

    /** Validates a backward call's arguments with messages that say what to fix. */
    public static void checkArguments(AttentionProblem p, FloatTensor outputGrad, float[] lseGrad) {
        if (p.logSumExp() == null) {
            throw new IllegalArgumentException("the backward pass needs the forward's log-sum-exp: run the forward with "
                    + "saveForBackward = true (or give the problem a logSumExp array)");
        }
        if (outputGrad == null || outputGrad.batch() != p.batch() || outputGrad.heads() != p.queryHeads()
                || outputGrad.length() != p.queryLength() || outputGrad.dim() != p.headDim()) {
            throw new IllegalArgumentException("output gradient " + (outputGrad == null ? "null" : outputGrad.shapeString())
                    + " must have the output's shape " + p.output().shapeString());
        }
        long rows = (long) p.batch() * p.queryHeads() * p.queryLength();
        if (lseGrad != null && lseGrad.length < rows) {
            throw new IllegalArgumentException("log-sum-exp gradient has " + lseGrad.length + " entries; expected " + rows
                    + " = [B][Hq][nq]");
        }
    }
}

package dev.hyperattention4j.attention;

import dev.hyperattention4j.kernel.BackwardInputs;
import dev.hyperattention4j.kernel.BackwardKernel;
import dev.hyperattention4j.runtime.WorkerPool;
import dev.hyperattention4j.tensor.FloatTensor;

/**
 * Exact tiled attention backward (FlashAttention-2's algorithm): gradients of {@code softmax(s·Q·Kᵀ + mask)·V}
 * with respect to Q, K and V from Q, K, V, the output O, the saved log-sum-exp L and dO, never holding an nq×nk
 * buffer: tile probabilities are recomputed from L, with {@code Δ = rowsum(dO ∘ O)}.
 *
 * <p>Per (batch, KV head) it packs K and V once ({@link BackwardInputs}); per query head of the GQA group and per
 * block of at most {@link BackwardInputs#ROW_BLOCK} query rows it runs {@code chunks} parallel units. Unit c owns
 * the key tiles {@code t ≡ c (mod chunks)}: it alone accumulates their dK and dV (over every query head of the group,
 * so shared KV heads get the sum), and it writes its share of dQ to its own partial buffer. The partials are then
 * summed in chunk order. No two units write the same memory, each sum has a fixed order, and the number of chunks
 * is fixed per instance, so results are bit-identical for any number of threads. Interleaving the key tiles keeps
 * the chunks balanced under the causal mask; more threads than chunks leave threads idle.
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

    /**
     * Gradients for problem {@code p}, whose output and log-sum-exp must hold the forward pass's results.
     *
     * @param outputGrad dLoss/dO, shaped like the output
     * @param lseGrad    dLoss/dL {@code [B][Hq][nq]}, or null when the loss does not use the log-sum-exp
     */
    public Gradients backward(AttentionProblem p, FloatTensor outputGrad, float[] lseGrad) {
        checkArguments(p, outputGrad, lseGrad);
        Gradients grads = Gradients.zerosLike(p);
        int d = p.headDim(), g = p.groupSize(), nq = p.queryLength();
        BackwardInputs in = new BackwardInputs(d, nq, p.keyLength(), chunks);
        BackwardKernel[] kernels = new BackwardKernel[pool.threads()];
        int qTiles = in.queryTiles(), kTiles = in.keyTiles();
        int blockTiles = BackwardInputs.ROW_BLOCK / BackwardKernel.QUERY_TILE;
        for (int b = 0; b < p.batch(); b++) {
            for (int kvh = 0; kvh < p.kvHeads(); kvh++) {
                final int bb = b, hk = kvh;
                pool.run(kTiles, (w, t) -> in.packKeyTile(p.key(), p.value(), bb, hk, t, kernel(kernels, w, d).rowScratch()));
                for (int h = kvh * g; h < (kvh + 1) * g; h++) {
                    final int hh = h;
                    pool.run(qTiles, (w, t) -> {
                        int q0 = t * BackwardKernel.QUERY_TILE;
                        in.packQueries(p.query(), p.output(), outputGrad, p.logSumExp(), lseGrad, p.lseIndex(bb, hh, 0),
                                bb, hh, q0, Math.min(nq, q0 + BackwardKernel.QUERY_TILE), p.scale(),
                                kernel(kernels, w, d).rowScratch());
                    });
                    for (int t0 = 0; t0 < qTiles; t0 += blockTiles) {
                        final int from = t0, to = Math.min(qTiles, t0 + blockTiles);
                        pool.run(chunks, (w, c) -> in.runChunk(kernel(kernels, w, d), c, from, to, p.causal()));
                        pool.run(to - from, (w, u) -> in.reduceQueryTile(from, from + u, p.scale(), grads.query(), bb, hh,
                                kernel(kernels, w, d).rowScratch()));
                    }
                }
                pool.run(kTiles, (w, t) -> in.writeKeyTile(t, grads.key(), grads.value(), bb, hk));
            }
        }
        return grads;
    }

    private static BackwardKernel kernel(BackwardKernel[] kernels, int worker, int d) {
        BackwardKernel k = kernels[worker];
        if (k == null) {
            k = kernels[worker] = new BackwardKernel(d);
        }
        return k;
    }

    static void checkArguments(AttentionProblem p, FloatTensor outputGrad, float[] lseGrad) {
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

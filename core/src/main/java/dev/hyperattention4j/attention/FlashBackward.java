package dev.hyperattention4j.attention;

import dev.hyperattention4j.kernel.BackwardInputs;
import dev.hyperattention4j.kernel.BackwardKernel;
import dev.hyperattention4j.runtime.WorkerPool;
import dev.hyperattention4j.tensor.FloatTensor;

/**
 * Exact tiled attention backward (FlashAttention-2's algorithm): gradients of {@code softmax(s·Q·Kᵀ + mask)·V}
 * with respect to Q, K and V from Q, K, V, the output O, the saved log-sum-exp L and dO, never holding an nq×nk
 * buffer. Per (batch, KV head) it packs the inputs once ({@link BackwardInputs}), then runs two parallel passes on
 * the {@link WorkerPool}:
 *
 * <ol>
 *   <li>over key tiles: dK and dV of a tile, summed over every query head of the GQA group and every query tile
 *       that sees it;</li>
 *   <li>over (query head, query tile): dQ.</li>
 * </ol>
 *
 * No two units write the same gradient row and each row is summed in a fixed order, so there are no races and the
 * result is bit-identical for any number of threads. The probabilities are recomputed in both passes: about
 * 7·nq·nk·d multiply-adds per head against 5 for a backward that adds dQ atomically, the price of determinism.
 */
public final class FlashBackward {
    private final WorkerPool pool;

    public FlashBackward(WorkerPool pool) {
        this.pool = java.util.Objects.requireNonNull(pool, "pool");
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
        int d = p.headDim(), g = p.groupSize();
        BackwardInputs in = new BackwardInputs(d, p.queryLength(), p.keyLength(), g);
        BackwardKernel[] kernels = new BackwardKernel[pool.threads()];
        int qTiles = in.queryTiles(), kTiles = in.keyTiles(), nq = p.queryLength();
        for (int b = 0; b < p.batch(); b++) {
            for (int kvh = 0; kvh < p.kvHeads(); kvh++) {
                final int bb = b, hk = kvh;
                pool.run(kTiles, (w, t) -> in.packKeyTile(p.key(), p.value(), bb, hk, t, kernel(kernels, w, d).rowScratch()));
                pool.run(g * qTiles, (w, u) -> {
                    int gi = u / qTiles, q0 = (u % qTiles) * BackwardKernel.QUERY_TILE;
                    int h = hk * g + gi;
                    in.packQueries(p.query(), p.output(), outputGrad, p.logSumExp(), lseGrad, p.lseIndex(bb, h, 0),
                            bb, h, gi, q0, Math.min(nq, q0 + BackwardKernel.QUERY_TILE), p.scale(),
                            kernel(kernels, w, d).rowScratch());
                });
                pool.run(kTiles, (w, t) -> kernel(kernels, w, d).keyTile(in, t, p.causal(), grads.key(), grads.value(),
                        bb, hk));
                pool.run(g * qTiles, (w, u) -> kernel(kernels, w, d).queryTile(in, u / qTiles, u % qTiles, p.causal(),
                        p.scale(), grads.query(), bb, hk * g + u / qTiles));
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

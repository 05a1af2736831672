package dev.hyperattention4j.cli.bench;

import dev.hyperattention4j.attention.Attention;
import dev.hyperattention4j.attention.AttentionProblem;

/**
 * The textbook baseline {@code softmax(Q·Kᵀ·scale + mask)·V} with the full {@code nq × nk} float score matrix, as a
 * framework without fused attention computes it: one matmul, a row softmax ({@code Math.exp}), a second matmul.
 * The matmuls are plain axpy loops over rows (which C2 auto-vectorises), single-threaded. O(n²) memory by design:
 * the benchmark runs it at small n only.
 */
final class MatmulSoftmaxBaseline implements Attention {

    @Override
    public String name() {
        return "matmul-softmax";
    }

    @Override
    public void forward(AttentionProblem p) {
        p.checkFinite();
        int d = p.headDim(), nq = p.queryLength(), nk = p.keyLength(), g = p.groupSize();
        float[] scores = new float[Math.multiplyExact(nq, nk)];
        float[] keysT = new float[nk * d], values = new float[nk * d], q = new float[d], o = new float[d];
        float[] row = new float[d];
        for (int b = 0; b < p.batch(); b++) {
            for (int h = 0; h < p.queryHeads(); h++) {
                for (int j = 0; j < nk; j++) {
                    p.key().readRow(b, h / g, j, row, 0);
                    for (int c = 0; c < d; c++) {
                        keysT[c * nk + j] = row[c];
                    }
                    p.value().readRow(b, h / g, j, values, j * d);
                }
                // S = scale · Q·Kᵀ, one row at a time as axpys over Kᵀ rows
                for (int i = 0; i < nq; i++) {
                    p.query().readRow(b, h, i, q, 0);
                    int s = i * nk;
                    java.util.Arrays.fill(scores, s, s + nk, 0f);
                    for (int c = 0; c < d; c++) {
                        float qc = q[c] * p.scale();
                        for (int j = 0, k = c * nk; j < nk; j++) {
                            scores[s + j] += qc * keysT[k + j];
                        }
                    }
                }
                // row softmax, then O = P·V
                for (int i = 0; i < nq; i++) {
                    int s = i * nk, last = Math.min(nk - 1, p.lastVisibleKey(i));
                    float max = Float.NEGATIVE_INFINITY;
                    for (int j = 0; j <= last; j++) {
                        max = Math.max(max, scores[s + j]);
                    }
                    float sum = 0;
                    for (int j = 0; j <= last; j++) {
                        float e = (float) Math.exp(scores[s + j] - max);
                        scores[s + j] = e;
                        sum += e;
                    }
                    java.util.Arrays.fill(o, 0f);
                    for (int j = 0; j <= last; j++) {
                        float w = scores[s + j] / sum;
                        for (int c = 0, v = j * d; c < d; c++) {
                            o[c] += w * values[v + c];
                        }
                    }
                    p.output().writeRow(b, h, i, o, 0);
                    if (p.logSumExp() != null) {
                        p.logSumExp()[p.lseIndex(b, h, i)] = last < 0 ? Float.NEGATIVE_INFINITY
                                : (float) (max + Math.log(sum));
                    }
                }
            }
        }
    }
}

package dev.hyperattention4j.reference;

import dev.hyperattention4j.attention.AttentionProblem;
import dev.hyperattention4j.attention.Gradients;
import dev.hyperattention4j.tensor.FloatTensor;

/**
 * The backward oracle: gradients of exact attention computed directly from the definition in double precision.
 * It recomputes each query row's scores, its softmax (own max and sum, not the forward's saved log-sum-exp) and its
 * output, then applies, per query row i and visible key j:
 *
 * <pre>
 *   P_ij = softmax_j(s·q_i·k_j);  Δ_i = dO_i·O_i − dL_i
 *   dV_j += P_ij·dO_i;  G_ij = P_ij·(dO_i·v_j − Δ_i);  dQ_i += s·Σ_j G_ij·k_j;  dK_j += s·G_ij·q_i
 * </pre>
 *
 * One row of scores and double accumulators for dK and dV of one KV head are held at a time: O(nk·d) memory,
 * O(nq·nk·d) time by design. Single-threaded and deliberately simple: it must be obviously right, not fast.
 */
public final class NaiveBackward {
    private NaiveBackward() {}

    /**
     * Gradients of the loss for {@code problem}'s Q, K, V (its output and log-sum-exp fields are ignored), given
     * dLoss/dOutput and, when not null, dLoss/dL {@code [B][Hq][nq]}.
     */
    public static Gradients gradients(AttentionProblem p, FloatTensor outputGrad, float[] lseGrad) {
        int d = p.headDim(), nq = p.queryLength(), nk = p.keyLength(), g = p.groupSize();
        double s = p.scale();
        Gradients out = Gradients.zerosLike(p);
        ExactRow exact = new ExactRow(d);
        double[] o = new double[d];
        double[] dq = new double[d];
        float[] q = new float[d], k = new float[d], v = new float[d], dO = new float[d];
        float[] row = new float[d];
        for (int b = 0; b < p.batch(); b++) {
            for (int kvh = 0; kvh < p.kvHeads(); kvh++) {
                double[][] dk = new double[nk][d];
                double[][] dv = new double[nk][d];
                for (int h = kvh * g; h < (kvh + 1) * g; h++) {
                    for (int i = 0; i < nq; i++) {
                        int last = Math.min(nk - 1, p.lastVisibleKey(i));
                        java.util.Arrays.fill(dq, 0);
                        if (last >= 0) {
                            p.query().readRow(b, h, i, q, 0);
                            outputGrad.readRow(b, h, i, dO, 0);
                            exact.compute(p, b, h, i, o);   // the output row and its attention probabilities
                            double delta = lseGrad == null ? 0 : -lseGrad[p.lseIndex(b, h, i)];
                            for (int c = 0; c < d; c++) {
                                delta += dO[c] * o[c];
                            }
                            for (int j = 0; j <= last; j++) {
                                double pij = exact.probability(j);
                                p.key().readRow(b, kvh, j, k, 0);
                                p.value().readRow(b, kvh, j, v, 0);
                                double dp = 0;
                                for (int c = 0; c < d; c++) {
                                    dp += (double) dO[c] * v[c];
                                    dv[j][c] += pij * dO[c];
                                }
                                double gij = pij * (dp - delta);
                                for (int c = 0; c < d; c++) {
                                    dq[c] += s * gij * k[c];
                                    dk[j][c] += s * gij * q[c];
                                }
                            }
                        }
                        for (int c = 0; c < d; c++) {
                            row[c] = (float) dq[c];
                        }
                        out.query().writeRow(b, h, i, row, 0);
                    }
                }
                for (int j = 0; j < nk; j++) {
                    for (int c = 0; c < d; c++) {
                        row[c] = (float) dk[j][c];
                    }
                    out.key().writeRow(b, kvh, j, row, 0);
                    for (int c = 0; c < d; c++) {
                        row[c] = (float) dv[j][c];
                    }
                    out.value().writeRow(b, kvh, j, row, 0);
                }
            }
        }
        return out;
    }
}

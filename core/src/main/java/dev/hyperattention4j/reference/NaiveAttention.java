package dev.hyperattention4j.reference;

import dev.hyperattention4j.attention.Attention;
import dev.hyperattention4j.attention.AttentionProblem;

/**
 * The test oracle: a direct transcription of {@code softmax(scale·Q·Kᵀ + mask)·V} with every score, exponential
 * and sum in double precision. One row of scores ({@code nk} doubles) is held at a time; the cost is
 * O(nq·nk·d) time by design. Single-threaded and deliberately simple: it must be obviously right, not fast.
 */
public final class NaiveAttention implements Attention {

    @Override
    public String name() {
        return "naive";
    }

    @Override
    public void forward(AttentionProblem p) {
        p.checkFinite();
        int d = p.headDim(), nq = p.queryLength(), nk = p.keyLength(), g = p.groupSize();
        double[] scores = new double[nk];
        double[] acc = new double[d];
        float[] row = new float[d];
        float[] q = new float[d];
        float[] k = new float[d];
        for (int b = 0; b < p.batch(); b++) {
            for (int h = 0; h < p.queryHeads(); h++) {
                int kvh = h / g;
                for (int i = 0; i < nq; i++) {
                    p.query().readRow(b, h, i, q, 0);
                    int last = Math.min(nk - 1, p.lastVisibleKey(i));
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j <= last; j++) {
                        p.key().readRow(b, kvh, j, k, 0);
                        double s = 0;
                        for (int c = 0; c < d; c++) {
                            s += (double) q[c] * k[c];
                        }
                        scores[j] = s * p.scale();
                        max = Math.max(max, scores[j]);
                    }
                    java.util.Arrays.fill(acc, 0);
                    double sum = 0;
                    for (int j = 0; j <= last; j++) {
                        double w = Math.exp(scores[j] - max);
                        sum += w;
                        p.value().readRow(b, kvh, j, k, 0);
                        for (int c = 0; c < d; c++) {
                            acc[c] += w * k[c];
                        }
                    }
                    for (int c = 0; c < d; c++) {
                        row[c] = last < 0 ? 0f : (float) (acc[c] / sum);
                    }
                    p.output().writeRow(b, h, i, row, 0);
                    if (p.logSumExp() != null) {
                        p.logSumExp()[p.lseIndex(b, h, i)] = last < 0 ? Float.NEGATIVE_INFINITY
                                : (float) (max + Math.log(sum));
                    }
                }
            }
        }
    }
}

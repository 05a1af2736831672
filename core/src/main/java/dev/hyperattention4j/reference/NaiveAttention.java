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
        int d = p.headDim();
        ExactRow exact = new ExactRow(d);
        double[] acc = new double[d];
        float[] row = new float[d];
        for (int b = 0; b < p.batch(); b++) {
            for (int h = 0; h < p.queryHeads(); h++) {
                for (int i = 0; i < p.queryLength(); i++) {
                    double lse = exact.compute(p, b, h, i, acc);
                    for (int c = 0; c < d; c++) {
                        row[c] = (float) acc[c];
                    }
                    p.output().writeRow(b, h, i, row, 0);
                    if (p.logSumExp() != null) {
                        p.logSumExp()[p.lseIndex(b, h, i)] = (float) lse;
                    }
                }
            }
        }
    }
}

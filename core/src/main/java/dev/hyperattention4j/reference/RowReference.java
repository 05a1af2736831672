package dev.hyperattention4j.reference;

import dev.hyperattention4j.attention.AttentionProblem;

/**
 * The exact output of a few sampled query rows of head [0][0], computed directly in double precision, so every
 * case (exact or approximate) gets an error figure at any n without an O(n²) reference run. Error is norm-relative
 * over the sampled rows: {@code ‖O − O_ref‖ / ‖O_ref‖}.
 */
public final class RowReference {
    private final int[] rows;
    private final double[][] expected;

    private RowReference(int[] rows, double[][] expected) {
        this.rows = rows;
        this.expected = expected;
    }

    public static RowReference sample(AttentionProblem p, int count) {
        int nq = p.queryLength();
        int[] rows = new int[Math.min(count, nq)];
        for (int i = 0; i < rows.length; i++) {
            rows[i] = (int) ((long) (nq - 1) * i / Math.max(1, rows.length - 1));   // spread, first and last row included
        }
        double[][] expected = new double[rows.length][p.headDim()];
        ExactRow reference = new ExactRow(p.headDim());
        for (int i = 0; i < rows.length; i++) {
            reference.compute(p, 0, 0, rows[i], expected[i]);
        }
        return new RowReference(rows, expected);
    }

    public double relativeError(AttentionProblem p) {
        int d = p.headDim();
        float[] o = new float[d];
        double err = 0, norm = 0;
        for (int i = 0; i < rows.length; i++) {
            p.output().readRow(0, 0, rows[i], o, 0);
            for (int c = 0; c < d; c++) {
                double e = o[c] - expected[i][c];
                err += e * e;
                norm += expected[i][c] * expected[i][c];
            }
        }
        return norm == 0 ? Math.sqrt(err) : Math.sqrt(err / norm);
    }
}

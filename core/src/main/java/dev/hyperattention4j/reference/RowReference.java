package dev.hyperattention4j.reference;

import dev.hyperattention4j.attention.AttentionProblem;

/**
 * The exact output of a few sampled query rows of head [0][0], computed directly in double precision, so every
 * case (exact or approximate) gets an error figure at any n without an O(n²) reference run: the
 * {@link AttentionError} measures restricted to the sampled rows, against the scale of all of head [0][0]'s values.
 */
public final class RowReference {
    private final int[] rows;
    private final double[][] expected;
    private final double valueRowRms;

    private RowReference(int[] rows, double[][] expected, double valueRowRms) {
        this.rows = rows;
        this.expected = expected;
        this.valueRowRms = valueRowRms;
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
        return new RowReference(rows, expected, AttentionError.valueRowRms(p.value(), 0, 0));
    }

    /** ‖O − O_ref‖ / ‖O_ref‖ over the sampled rows. */
    public double relativeError(AttentionProblem p) {
        return error(p).vsOutput();
    }

    /** Every {@link AttentionError} measure over the sampled rows of the problem's output. */
    public AttentionError error(AttentionProblem p) {
        int d = p.headDim();
        float[] o = new float[d];
        AttentionError.Sum sum = new AttentionError.Sum();
        for (int i = 0; i < rows.length; i++) {
            p.output().readRow(0, 0, rows[i], o, 0);
            double rowErr = 0, rowNorm = 0;
            for (int c = 0; c < d; c++) {
                double e = o[c] - expected[i][c];
                rowErr += e * e;
                rowNorm += expected[i][c] * expected[i][c];
            }
            sum.addRow(rowErr, rowNorm);
        }
        return sum.result(valueRowRms);
    }
}

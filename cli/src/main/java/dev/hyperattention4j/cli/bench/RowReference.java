package dev.hyperattention4j.cli.bench;

import dev.hyperattention4j.attention.AttentionProblem;

/**
 * The exact output of a few sampled query rows of head [0][0], computed directly in double precision, so every
 * case (exact or approximate) gets an error figure at any n without an O(n²) reference run. Error is norm-relative
 * over the sampled rows: {@code ‖O − O_ref‖ / ‖O_ref‖}.
 */
final class RowReference {
    private final int[] rows;
    private final double[][] expected;

    private RowReference(int[] rows, double[][] expected) {
        this.rows = rows;
        this.expected = expected;
    }

    static RowReference sample(AttentionProblem p, int count) {
        int nq = p.queryLength();
        int[] rows = new int[Math.min(count, nq)];
        for (int i = 0; i < rows.length; i++) {
            rows[i] = (int) ((long) (nq - 1) * i / Math.max(1, rows.length - 1));   // spread, first and last row included
        }
        double[][] expected = new double[rows.length][];
        for (int i = 0; i < rows.length; i++) {
            expected[i] = exactRow(p, rows[i]);
        }
        return new RowReference(rows, expected);
    }

    double relativeError(AttentionProblem p) {
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

    private static double[] exactRow(AttentionProblem p, int i) {
        int d = p.headDim(), last = Math.min(p.keyLength() - 1, p.lastVisibleKey(i));
        float[] q = new float[d], k = new float[d];
        double[] acc = new double[d];
        p.query().readRow(0, 0, i, q, 0);
        double[] s = new double[Math.max(0, last + 1)];
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j <= last; j++) {
            p.key().readRow(0, 0, j, k, 0);
            double dot = 0;
            for (int c = 0; c < d; c++) {
                dot += (double) q[c] * k[c];
            }
            s[j] = dot * p.scale();
            max = Math.max(max, s[j]);
        }
        double sum = 0;
        for (int j = 0; j <= last; j++) {
            double w = Math.exp(s[j] - max);
            sum += w;
            p.value().readRow(0, 0, j, k, 0);
            for (int c = 0; c < d; c++) {
                acc[c] += w * k[c];
            }
        }
        for (int c = 0; c < d && sum > 0; c++) {
            acc[c] /= sum;
        }
        return acc;
    }
}

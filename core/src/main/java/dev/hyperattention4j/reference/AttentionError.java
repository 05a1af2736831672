package dev.hyperattention4j.reference;

import dev.hyperattention4j.tensor.FloatTensor;

/**
 * How far an approximate attention output Ô is from the exact one O, in three readings (docs/DESIGN.md §4):
 *
 * <ul>
 *   <li>{@code vsOutput} = ‖Ô − O‖_F / ‖O‖_F, the paper's measure. On inputs whose attention is nearly uniform
 *   (Q, K ~ N(0,1)) the exact rows are averages of many value rows and nearly vanish, so this grows like √(n/m)
 *   for HyperAttention by construction and says little about real inputs;</li>
 *   <li>{@code vsValues} = the root-mean-square row error against the root-mean-square row norm of V, i.e.
 *   ‖Ô − O‖_F / ‖V‖_F when n_q = n_k: the error on the scale of what attention averages;</li>
 *   <li>{@code worstRowVsValues} = max_i ‖ô_i − o_i‖ against the same root-mean-square row norm of V.</li>
 * </ul>
 *
 * @param vsOutput         ‖Ô − O‖_F / ‖O‖_F (the absolute error when O is zero)
 * @param vsValues         rms_i ‖ô_i − o_i‖ / rms_j ‖v_j‖
 * @param worstRowVsValues max_i ‖ô_i − o_i‖ / rms_j ‖v_j‖
 */
public record AttentionError(double vsOutput, double vsValues, double worstRowVsValues) {
    /** One line that says what the three figures are, for printing next to them. */
    public static final String EXPLANATION = "error vs ‖O‖ = ‖Ô−O‖/‖O‖ (large by construction when attention is "
            + "nearly uniform, e.g. random inputs); vs ‖V‖ = row error on the scale of the value rows (rms), worst "
            + "row likewise";

    /** Compares every row of {@code approx} with {@code exact}; {@code values} gives the scale of V. */
    public static AttentionError of(FloatTensor approx, FloatTensor exact, FloatTensor values) {
        checkSameShape(approx, exact);
        int d = exact.dim();
        float[] a = new float[d], e = new float[d];
        Sum sum = new Sum();
        for (int b = 0; b < exact.batch(); b++) {
            for (int h = 0; h < exact.heads(); h++) {
                for (int i = 0; i < exact.length(); i++) {
                    approx.readRow(b, h, i, a, 0);
                    exact.readRow(b, h, i, e, 0);
                    double rowErr = 0, rowNorm = 0;
                    for (int c = 0; c < d; c++) {
                        double diff = a[c] - (double) e[c];
                        rowErr += diff * diff;
                        rowNorm += e[c] * (double) e[c];
                    }
                    sum.addRow(rowErr, rowNorm);
                }
            }
        }
        double rms = 0;
        for (int b = 0; b < values.batch(); b++) {
            for (int h = 0; h < values.heads(); h++) {
                double r = valueRowRms(values, b, h);
                rms += r * r;
            }
        }
        return sum.result(Math.sqrt(rms / ((long) values.batch() * values.heads())));
    }

    /** Row-by-row sums of squared errors and norms, and the three measures from them. */
    public static final class Sum {
        private double error, norm, worst;
        private long rows;

        /** One output row: its squared error ‖ô_i − o_i‖² and squared exact norm ‖o_i‖². */
        public void addRow(double squaredError, double squaredNorm) {
            error += squaredError;
            norm += squaredNorm;
            worst = Math.max(worst, squaredError);
            rows++;
        }

        /** The measures, with {@code valueRowRms} the root-mean-square row norm of V (1 when V is zero). */
        public AttentionError result(double valueRowRms) {
            double scale = valueRowRms > 0 ? valueRowRms : 1;
            return new AttentionError(norm == 0 ? Math.sqrt(error) : Math.sqrt(error / norm),
                    Math.sqrt(error / Math.max(1, rows)) / scale, Math.sqrt(worst) / scale);
        }
    }

    /** ‖Ô − O‖_F / ‖O‖_F alone. */
    public static double relativeToOutput(FloatTensor approx, FloatTensor exact) {
        return of(approx, exact, exact).vsOutput();
    }

    /** The root-mean-square norm of the rows of head {@code [b][h]} of {@code values} (0 when there are none). */
    public static double valueRowRms(FloatTensor values, int b, int h) {
        float[] v = new float[values.dim()];
        double sum = 0;
        for (int j = 0; j < values.length(); j++) {
            values.readRow(b, h, j, v, 0);
            for (float x : v) {
                sum += x * (double) x;
            }
        }
        return values.length() == 0 ? 0 : Math.sqrt(sum / values.length());
    }

    private static void checkSameShape(FloatTensor a, FloatTensor b) {
        if (a.batch() != b.batch() || a.heads() != b.heads() || a.length() != b.length() || a.dim() != b.dim()) {
            throw new IllegalArgumentException("outputs to compare differ in shape: [" + a.batch() + "][" + a.heads()
                    + "][" + a.length() + "][" + a.dim() + "] vs [" + b.batch() + "][" + b.heads() + "]["
                    + b.length() + "][" + b.dim() + "]");
        }
    }
}

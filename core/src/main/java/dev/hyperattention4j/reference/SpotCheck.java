package dev.hyperattention4j.reference;

import dev.hyperattention4j.attention.AttentionProblem;
import java.util.SplittableRandom;

/**
 * Measures the approximation error of an attention call that has already run, at a tiny cost: k random output rows
 * {@code (b, h, i)} are recomputed exactly (double precision, O(k·nk·d)) and compared with what the call wrote.
 *
 * <p>The error is reported in the two readings of {@link AttentionError}, restricted to a uniform sample of rows so
 * that they estimate the full-output figures without computing the full exact output: against the output,
 * {@code sqrt(Σ‖ô_i − o_i‖² / Σ‖o_i‖²)}, and against the scale of V, {@code sqrt(Σ‖ô_i − o_i‖² / Σ s_i²)} where
 * {@code s_i} is the root-mean-square row norm of the value head row i reads (and the worst row likewise). When the
 * call also wrote a log-sum-exp, the mean |L̂ − L| is reported too.
 */
public final class SpotCheck {
    private SpotCheck() {}

    /**
     * What the checked rows showed.
     *
     * @param rows             checked rows
     * @param relError         sqrt(Σ‖ô−o‖² / Σ‖o‖²) over the checked rows
     * @param maxRowError      the largest single-row relative error ‖ô_i−o_i‖/‖o_i‖
     * @param meanLseError     mean |L̂_i − L_i|, or NaN when the call wrote no log-sum-exp
     * @param squaredError     Σ‖ô−o‖² (for pooling several checks)
     * @param squaredNorm      Σ‖o‖²
     * @param squaredValueRms  Σ s_i², s_i the root-mean-square row norm of the value head of row i
     * @param worstSquaredError max_i ‖ô_i−o_i‖²
     */
    public record Result(int rows, double relError, double maxRowError, double meanLseError, double squaredError,
                         double squaredNorm, double squaredValueRms, double worstSquaredError) {
        /** The checked rows' error in both readings (against ‖O‖ and against the scale of V). */
        public AttentionError error() {
            return SpotCheck.error(rows, squaredError, squaredNorm, squaredValueRms, worstSquaredError);
        }
    }

    /** As {@link AttentionError.Sum#result}: the worst row against the mean scale of V over the checked rows. */
    private static AttentionError error(long rows, double sqErr, double sqNorm, double sqValueRms, double worst) {
        double scale = sqValueRms > 0 ? Math.sqrt(sqValueRms / rows) : 1;
        return new AttentionError(sqNorm > 0 ? Math.sqrt(sqErr / sqNorm) : Math.sqrt(sqErr),
                Math.sqrt(sqErr / Math.max(1, rows)) / scale, Math.sqrt(worst) / scale);
    }

    /**
     * Recomputes {@code k} uniformly drawn rows of {@code problem} exactly and compares them with
     * {@code problem.output()} (and {@code problem.logSumExp()} when present). Rows that see no key are skipped.
     *
     * @param k    rows to check (at least 1; capped at the number of rows)
     * @param seed seeds the row choice
     */
    public static Result measure(AttentionProblem problem, int k, long seed) {
        if (k < 1) {
            throw new IllegalArgumentException("spot check needs k >= 1 rows, got " + k);
        }
        int b = problem.batch(), h = problem.queryHeads(), nq = problem.queryLength();
        long total = (long) b * h * nq;
        SplittableRandom random = new SplittableRandom(seed);
        int rows = (int) Math.min(k, total);
        int d = problem.headDim();
        float[] got = new float[d];
        double[] exact = new double[d];
        ExactRow reference = new ExactRow(d);
        double[] valueRms = new double[b * problem.kvHeads()];   // per value head, computed when first needed
        java.util.Arrays.fill(valueRms, -1);
        double sqErr = 0, sqNorm = 0, maxRow = 0, lseErr = 0, sqValueRms = 0, worstErr = 0;
        int checked = 0, lseRows = 0;
        for (int t = 0; t < rows; t++) {
            long r = rows == total ? t : random.nextLong(total);
            int bi = (int) (r / ((long) h * nq)), hi = (int) (r / nq % h), i = (int) (r % nq);
            int last = Math.min(problem.keyLength() - 1, problem.lastVisibleKey(i));
            if (last < 0) {
                continue;
            }
            double lse = reference.compute(problem, bi, hi, i, exact);
            problem.output().readRow(bi, hi, i, got, 0);
            double e = 0, n = 0;
            for (int c = 0; c < d; c++) {
                double diff = got[c] - exact[c];
                e += diff * diff;
                n += exact[c] * exact[c];
            }
            sqErr += e;
            sqNorm += n;
            maxRow = Math.max(maxRow, n > 0 ? Math.sqrt(e / n) : Math.sqrt(e));
            int head = bi * problem.kvHeads() + hi / problem.groupSize();
            if (valueRms[head] < 0) {
                valueRms[head] = AttentionError.valueRowRms(problem.value(), bi, hi / problem.groupSize());
            }
            sqValueRms += valueRms[head] * valueRms[head];
            worstErr = Math.max(worstErr, e);
            checked++;
            if (problem.logSumExp() != null) {
                lseErr += Math.abs(problem.logSumExp()[problem.lseIndex(bi, hi, i)] - lse);
                lseRows++;
            }
        }
        double rel = sqNorm > 0 ? Math.sqrt(sqErr / sqNorm) : Math.sqrt(sqErr);
        return new Result(checked, rel, maxRow, lseRows > 0 ? lseErr / lseRows : Double.NaN, sqErr, sqNorm,
                sqValueRms, worstErr);
    }

    /** Pools several checks (e.g. every patched call of a perplexity run); thread-safe. */
    public static final class Tally {
        private double sqErr, sqNorm, maxRow, lseErr, sqValueRms, worstErr;
        private long rows, lseChecks, calls;

        public synchronized void add(Result r) {
            sqErr += r.squaredError();
            sqNorm += r.squaredNorm();
            maxRow = Math.max(maxRow, r.maxRowError());
            sqValueRms += r.squaredValueRms();
            worstErr = Math.max(worstErr, r.worstSquaredError());
            rows += r.rows();
            calls++;
            if (!Double.isNaN(r.meanLseError())) {
                lseErr += r.meanLseError() * r.rows();
                lseChecks += r.rows();
            }
        }

        /** Pooled relative error over every checked row, NaN before the first check. */
        public synchronized double relError() {
            return rows == 0 ? Double.NaN : sqNorm > 0 ? Math.sqrt(sqErr / sqNorm) : Math.sqrt(sqErr);
        }

        /** The pooled error in both readings (against ‖O‖ and against the scale of V), NaNs before the first check. */
        public synchronized AttentionError error() {
            return rows == 0 ? new AttentionError(Double.NaN, Double.NaN, Double.NaN)
                    : SpotCheck.error(rows, sqErr, sqNorm, sqValueRms, worstErr);
        }

        public synchronized double maxRowError() {
            return rows == 0 ? Double.NaN : maxRow;
        }

        public synchronized double meanLseError() {
            return lseChecks == 0 ? Double.NaN : lseErr / lseChecks;
        }

        public synchronized long rows() {
            return rows;
        }

        public synchronized long calls() {
            return calls;
        }
    }
}

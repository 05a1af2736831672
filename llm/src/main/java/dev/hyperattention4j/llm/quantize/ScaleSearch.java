package dev.hyperattention4j.llm.quantize;

/**
 * Searches for the scale (and minimum) of one sub-block of a K-quant: the integer levels L and the real scale that
 * minimise a weighted error between x and its reconstruction. The search strategy and its constants (how many
 * candidate grids, their spacing, which weights) follow the reference quantiser of the GGUF ecosystem, so that
 * our files are as accurate as its files; the code is ours.
 */
final class ScaleSearch {
    /** Below this magnitude a sub-block is treated as all zeros. */
    static final float GROUP_MAX_EPS = 1e-15f;

    private ScaleSearch() {}

    /**
     * Affine fit x ≈ scale·L - min with L in 0..nmax and min ≥ 0 (the reconstruction's offset is -min ≤ 0). First
     * the grid spanning [min(x, 0), max x]; then {@code steps + 1} grids of (nmax + rmin + rdelta·k) levels over
     * the same span, each followed by the weighted least-squares (scale, offset) for its levels; the best one by
     * weighted squared error (or absolute error with {@code absoluteError}) wins.
     *
     * @return the scale; {@code minOut[0]} receives min, {@code levels[lo .. lo + n)} the levels
     */
    static float affine(float[] x, int xo, int n, float[] w, int nmax, float rmin, float rdelta, int steps,
                        boolean absoluteError, int[] levels, int lo, float[] minOut) {
        float lowest = x[xo], highest = x[xo];
        float sumW = 0, sumX = 0;
        for (int i = 0; i < n; i++) {
            lowest = Math.min(lowest, x[xo + i]);
            highest = Math.max(highest, x[xo + i]);
            sumW += w[i];
            sumX += w[i] * x[xo + i];
        }
        float offset = Math.min(lowest, 0f);
        if (highest == offset) {
            for (int i = 0; i < n; i++) {
                levels[lo + i] = 0;
            }
            minOut[0] = -offset;
            return 0f;
        }
        float span = highest - offset;
        float inverse = nmax / span;
        float scale = 1 / inverse;
        float bestError = 0;
        for (int i = 0; i < n; i++) {
            int l = Rounding.clamp(Rounding.halfEven(inverse * (x[xo + i] - offset)), 0, nmax);
            levels[lo + i] = l;
            float diff = scale * l + offset - x[xo + i];
            bestError += w[i] * (absoluteError ? Math.abs(diff) : diff * diff);
        }
        int[] trial = new int[n];
        for (int k = 0; k <= steps; k++) {
            float inv = (rmin + rdelta * k + nmax) / span;
            float sumL = 0, sumL2 = 0, sumXL = 0;
            for (int i = 0; i < n; i++) {
                int l = Rounding.clamp(Rounding.halfEven(inv * (x[xo + i] - offset)), 0, nmax);
                trial[i] = l;
                sumL += w[i] * l;
                sumL2 += w[i] * l * l;
                sumXL += w[i] * l * x[xo + i];
            }
            float det = sumW * sumL2 - sumL * sumL;
            if (det <= 0) {
                continue;
            }
            float trialScale = (sumW * sumXL - sumX * sumL) / det;
            float trialOffset = (sumL2 * sumX - sumL * sumXL) / det;
            if (trialOffset > 0) { // the format cannot store a positive offset: refit the scale alone
                trialOffset = 0;
                trialScale = sumXL / sumL2;
            }
            float error = 0;
            for (int i = 0; i < n; i++) {
                float diff = trialScale * trial[i] + trialOffset - x[xo + i];
                error += w[i] * (absoluteError ? Math.abs(diff) : diff * diff);
            }
            if (error < bestError) {
                System.arraycopy(trial, 0, levels, lo, n);
                bestError = error;
                scale = trialScale;
                offset = trialOffset;
            }
        }
        minOut[0] = -offset;
        return scale;
    }

    /**
     * Whether a group of a symmetric type is all zero (its extreme below {@link #GROUP_MAX_EPS}); then every level
     * is set to the zero level nmax, and the scale is 0.
     */
    private static boolean allZero(float extreme, int n, int nmax, int[] levels, int lo) {
        if (Math.abs(extreme) >= GROUP_MAX_EPS) {
            return false;
        }
        java.util.Arrays.fill(levels, lo, lo + n, nmax);
        return true;
    }

    /**
     * Symmetric fit x ≈ scale·(L - nmax) with L - nmax in -nmax..nmax-1, weights x² (so large weights are kept
     * accurate): the grid through the extreme and 18 slightly wider or narrower ones (nmax ± 0.1·k levels), each
     * with its least-squares scale; the best by weighted error. Used for Q6_K.
     */
    static float symmetric(float[] x, int xo, int n, int nmax, int[] levels, int lo) {
        float extreme = signedExtreme(x, xo, n);
        if (allZero(extreme, n, nmax, levels, lo)) {
            return 0f;
        }
        float scale = 0, best = 0;
        for (int k = 0; k <= 18; k++) {
            int step = k == 0 ? 0 : k <= 9 ? k - 10 : k - 9; // the plain grid first, then -9..-1, 1..9
            float inv = -(nmax + 0.1f * step) / extreme;
            float sumLX = 0, sumL2 = 0;
            for (int i = 0; i < n; i++) {
                float v = x[xo + i];
                int l = Rounding.clamp(Rounding.halfEven(inv * v), -nmax, nmax - 1);
                float w = v * v;
                sumLX += w * v * l;
                sumL2 += w * l * l;
            }
            boolean better = k == 0 || (sumL2 > 0 && sumLX * sumLX > best * sumL2);
            if (better) {
                for (int i = 0; i < n; i++) {
                    levels[lo + i] = nmax + Rounding.clamp(Rounding.halfEven(inv * x[xo + i]), -nmax, nmax - 1);
                }
                scale = sumL2 != 0 ? sumLX / sumL2 : 0f;
                best = scale * sumLX;
            }
        }
        return scale;
    }

    /**
     * Symmetric 3-bit fit for Q3_K: levels L - nmax in -nmax..nmax-1 from the grid through the extreme, then up
     * to five passes of coordinate descent that move one level at a time when that increases the fit quality
     * (Σw·x·l)² / Σw·l² (weights x²). Returns the least-squares scale of the final levels.
     */
    static float symmetric3(float[] x, int xo, int n, int nmax, int[] levels, int lo) {
        float extreme = signedExtreme(x, xo, n);
        if (allZero(extreme, n, nmax, levels, lo)) {
            return 0f;
        }
        float inv = -nmax / extreme;
        float sumLX = 0, sumL2 = 0;
        int[] l = new int[n];
        for (int i = 0; i < n; i++) {
            float v = x[xo + i];
            l[i] = Rounding.clamp(Rounding.halfEven(inv * v), -nmax, nmax - 1);
            float w = v * v;
            sumLX += w * v * l[i];
            sumL2 += w * l[i] * l[i];
        }
        for (int pass = 0; pass < 5; pass++) {
            boolean changed = false;
            for (int i = 0; i < n; i++) {
                float v = x[xo + i];
                float w = v * v;
                float restLX = sumLX - w * v * l[i];
                if (restLX <= 0) {
                    continue;
                }
                float restL2 = sumL2 - w * l[i] * l[i];
                int candidate = Rounding.clamp(Rounding.halfEven(v * restL2 / restLX), -nmax, nmax - 1);
                if (candidate == l[i]) {
                    continue;
                }
                float newLX = restLX + w * v * candidate;
                float newL2 = restL2 + w * candidate * candidate;
                if (newL2 > 0 && newLX * newLX * sumL2 > sumLX * sumLX * newL2) {
                    l[i] = candidate;
                    sumLX = newLX;
                    sumL2 = newL2;
                    changed = true;
                }
            }
            if (!changed) {
                break;
            }
        }
        for (int i = 0; i < n; i++) {
            levels[lo + i] = l[i] + nmax;
        }
        return sumLX / sumL2;
    }

    /** The value of largest magnitude, with its sign (the first one on ties). */
    static float signedExtreme(float[] x, int xo, int n) {
        float amax = 0, max = 0;
        for (int i = 0; i < n; i++) {
            float a = Math.abs(x[xo + i]);
            if (a > amax) {
                amax = a;
                max = x[xo + i];
            }
        }
        return max;
    }
}

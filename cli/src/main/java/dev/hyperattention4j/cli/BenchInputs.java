package dev.hyperattention4j.cli;

import dev.hyperattention4j.runtime.HeapBudget;
import dev.hyperattention4j.tensor.FloatTensor;
import java.util.SplittableRandom;

/** Benchmark inputs (docs/DESIGN.md §4), v ~ N(0,1) throughout. */
public enum BenchInputs {
    /** Q, K ~ N(0,1): nearly uniform attention, the worst case for any sparse approximation. */
    RANDOM,
    /** The reference's "clustered": 64 centres 1.5·N(0,I); q and k get independent random centres + 0.5·noise. */
    CLUSTERED;

    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    /** {q, k, v}, each [1][heads][n][d]. */
    public FloatTensor[] make(int heads, int n, int d, long seed) {
        requireInputs(heads, n, d, 5);
        SplittableRandom r = new SplittableRandom(seed);
        float[] q = new float[heads * n * d], k = new float[heads * n * d], v = new float[heads * n * d];
        switch (this) {
            case RANDOM -> {
                gauss(r, q, 1f);
                gauss(r, k, 1f);
            }
            case CLUSTERED -> {
                int clusters = 64;
                float[] centres = new float[heads * clusters * d];
                gauss(r, centres, 1.5f);
                gauss(r, q, 0.5f);
                gauss(r, k, 0.5f);
                for (int h = 0; h < heads; h++) {
                    for (int i = 0; i < n; i++) {
                        int cq = (h * clusters + r.nextInt(clusters)) * d;
                        int ck = (h * clusters + r.nextInt(clusters)) * d;
                        int row = (h * n + i) * d;
                        for (int c = 0; c < d; c++) {
                            q[row + c] += centres[cq + c];
                            k[row + c] += centres[ck + c];
                        }
                    }
                }
            }
        }
        gauss(r, v, 1f);
        return new FloatTensor[] {FloatTensor.of(q, 1, heads, n, d), FloatTensor.of(k, 1, heads, n, d),
                FloatTensor.of(v, 1, heads, n, d)};
    }

    /**
     * Refuses, before allocating, inputs of {@code heads·n·d} floats that exceed one Java array or, {@code copies}
     * times over (Q, K, V, outputs), the heap.
     */
    public static void requireInputs(long heads, long n, long d, int copies) {
        double floats = (double) heads * n * d;
        if (floats > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("--heads " + heads + " x n " + n + " x d " + d + " = " + (long) floats
                    + " floats per tensor is more than one Java array holds (2^31); lower --sizes, --dims or --heads");
        }
        HeapBudget.require(floats * Float.BYTES * copies, "attention inputs of " + heads + " heads x " + n + " x " + d,
                "lower --sizes, --dims or --heads");
    }

    private static void gauss(SplittableRandom r, float[] x, float sigma) {
        for (int i = 0; i < x.length; i += 2) {
            // Box-Muller: two normals per pair of uniforms
            double u1 = 1.0 - r.nextDouble(), u2 = r.nextDouble();
            double rad = Math.sqrt(-2 * Math.log(u1));
            x[i] = (float) (sigma * rad * Math.cos(2 * Math.PI * u2));
            if (i + 1 < x.length) {
                x[i + 1] = (float) (sigma * rad * Math.sin(2 * Math.PI * u2));
            }
        }
    }
}

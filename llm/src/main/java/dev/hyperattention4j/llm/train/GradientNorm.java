package dev.hyperattention4j.llm.train;

import dev.hyperattention4j.runtime.WorkerPool;

/**
 * The global L2 norm of a gradient set and clipping to a maximum norm. The sum of squares runs in double over
 * fixed chunks of each tensor, the chunk sums added in tensor and chunk order, so the norm (and every clipped value)
 * is the same for any thread count.
 */
public final class GradientNorm {
    private static final int CHUNK = 1 << 14;

    private GradientNorm() {
    }

    public static double of(LlamaParameters g, WorkerPool pool) {
        double total = 0;
        for (LlamaParameters.Tensor t : g.tensors()) {
            float[] a = t.data();
            int units = (a.length + CHUNK - 1) / CHUNK;
            double[] partial = new double[units];
            pool.run(units, (w, u) -> {
                double s = 0;
                for (int k = u * CHUNK, end = Math.min(a.length, k + CHUNK); k < end; k++) {
                    s += (double) a[k] * a[k];
                }
                partial[u] = s;
            });
            for (double s : partial) {
                total += s;
            }
        }
        return Math.sqrt(total);
    }

    /**
     * Scales {@code g} so its norm is at most {@code maxNorm} (0 or less: no clipping); returns the norm before
     * clipping.
     */
    public static double clip(LlamaParameters g, double maxNorm, WorkerPool pool) {
        double norm = of(g, pool);
        if (maxNorm > 0 && norm > maxNorm) {
            float s = (float) (maxNorm / norm);
            for (LlamaParameters.Tensor t : g.tensors()) {
                float[] a = t.data();
                int units = (a.length + CHUNK - 1) / CHUNK;
                pool.run(units, (w, u) -> {
                    for (int k = u * CHUNK, end = Math.min(a.length, k + CHUNK); k < end; k++) {
                        a[k] *= s;
                    }
                });
            }
        }
        return norm;
    }
}

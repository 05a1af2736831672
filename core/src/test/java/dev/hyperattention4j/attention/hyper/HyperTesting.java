package dev.hyperattention4j.attention.hyper;

import dev.hyperattention4j.attention.AttentionProblem;
import dev.hyperattention4j.reference.NaiveAttention;
import dev.hyperattention4j.tensor.FloatTensor;
import java.util.Random;

/** Inputs and error metrics shared by the HyperAttention tests. */
final class HyperTesting {
    private HyperTesting() {}

    static FloatTensor randn(Random r, int b, int h, int n, int d) {
        float[] x = new float[b * h * n * d];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        return FloatTensor.of(x, b, h, n, d);
    }

    /**
     * The "planted" input of docs/DESIGN.md §4: clusters of 32 tokens with centres N(0, I), q_t = c_{z_t} + 0.1·ε,
     * k_t = c_{z_t} + 0.1·ε', labels shuffled over positions, v ~ N(0, 1). Returns {q, k, v}. Most of each row's
     * attention mass sits on the 32 keys of its own cluster, which are scattered over the sequence.
     */
    static FloatTensor[] planted(Random r, int heads, int n, int d) {
        int clusterSize = 32;
        int clusters = (n + clusterSize - 1) / clusterSize;
        float[] q = new float[heads * n * d], k = new float[heads * n * d], v = new float[heads * n * d];
        for (int h = 0; h < heads; h++) {
            float[][] centres = new float[clusters][d];
            for (float[] c : centres) {
                for (int j = 0; j < d; j++) {
                    c[j] = (float) r.nextGaussian();
                }
            }
            int[] label = new int[n];
            for (int t = 0; t < n; t++) {
                label[t] = t / clusterSize;
            }
            for (int t = n - 1; t > 0; t--) {
                int s = r.nextInt(t + 1);
                int tmp = label[t];
                label[t] = label[s];
                label[s] = tmp;
            }
            for (int t = 0; t < n; t++) {
                for (int j = 0; j < d; j++) {
                    int i = (h * n + t) * d + j;
                    q[i] = centres[label[t]][j] + 0.1f * (float) r.nextGaussian();
                    k[i] = centres[label[t]][j] + 0.1f * (float) r.nextGaussian();
                    v[i] = (float) r.nextGaussian();
                }
            }
        }
        return new FloatTensor[] {FloatTensor.of(q, 1, heads, n, d), FloatTensor.of(k, 1, heads, n, d),
                FloatTensor.of(v, 1, heads, n, d)};
    }

    /** The double-precision oracle's output and log-sum-exp. */
    static AttentionProblem naive(FloatTensor q, FloatTensor k, FloatTensor v, boolean causal) {
        AttentionProblem p = AttentionProblem.of(q, k, v).withCausal(causal).withLogSumExp();
        new NaiveAttention().forward(p);
        return p;
    }

    static AttentionProblem run(HyperAttention hyper, FloatTensor q, FloatTensor k, FloatTensor v, boolean causal) {
        AttentionProblem p = AttentionProblem.of(q, k, v).withCausal(causal).withLogSumExp();
        hyper.forward(p);
        return p;
    }

    /** ‖a − b‖_F / ‖b‖_F. */
    static double relErr(float[] a, float[] b) {
        double num = 0, den = 0;
        for (int i = 0; i < a.length; i++) {
            double e = a[i] - (double) b[i];
            num += e * e;
            den += b[i] * (double) b[i];
        }
        return Math.sqrt(num / den);
    }

    static double maxAbsDiff(float[] a, float[] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - (double) b[i]));
        }
        return m;
    }
}

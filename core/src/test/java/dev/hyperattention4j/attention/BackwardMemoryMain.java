package dev.hyperattention4j.attention;

import dev.hyperattention4j.runtime.WorkerPool;
import dev.hyperattention4j.tensor.FloatTensor;
import dev.hyperattention4j.testing.TestTensors;
import java.util.Random;

/**
 * Run by {@link BackwardMemoryTest} in a JVM with a small heap: exact forward + backward with one side of length
 * n = 131,072 (an nq×nk float buffer would fill the whole 512 MiB heap), then a check of a few dQ rows against a
 * double-precision computation of that row alone. Prints "ok" lines; exits non-zero on failure.
 */
public final class BackwardMemoryMain {
    private BackwardMemoryMain() {}

    public static void main(String[] args) {
        int longSide = Integer.parseInt(args[0]), shortSide = Integer.parseInt(args[1]), d = 64;
        try (WorkerPool pool = new WorkerPool(2)) {
            for (boolean longQueries : new boolean[] {true, false}) {
                for (boolean causal : new boolean[] {false, true}) {
                    int nq = longQueries ? longSide : shortSide, nk = longQueries ? shortSide : longSide;
                    Random r = new Random(nq + 7L * nk + (causal ? 1 : 0));
                    FloatTensor q = TestTensors.gaussian(r, 1, 1, 1, nq, d), k = TestTensors.gaussian(r, 1, 1, 1, nk, d);
                    FloatTensor v = TestTensors.gaussian(r, 1, 1, 1, nk, d), dO = TestTensors.gaussian(r, 1, 1, 1, nq, d);
                    TrainableAttention attention = new TrainableFlashAttention(pool);
                    BackwardContext ctx = attention.forward(AttentionProblem.of(q, k, v).withCausal(causal), true);
                    Gradients g = attention.backward(ctx, dO);
                    for (int i : new int[] {nq - 1, nq - shortSide / 2, nq - shortSide + 5}) {   // rows that see keys
                        double err = rowError(ctx.problem(), dO, g.query(), i);
                        if (!(err <= 1e-4)) {
                            System.out.println("FAIL nq=" + nq + " nk=" + nk + " causal=" + causal + " row " + i
                                    + " dQ error " + err);
                            System.exit(1);
                        }
                    }
                    System.out.println("ok nq=" + nq + " nk=" + nk + " causal=" + causal);
                }
            }
        }
        System.out.println("done, max heap " + Runtime.getRuntime().maxMemory() / (1 << 20) + " MiB");
    }

    /** max |dQ_i − exact| / max |exact| for one row, from the definition in double precision. */
    static double rowError(AttentionProblem p, FloatTensor dO, FloatTensor dQ, int i) {
        int d = p.headDim(), last = Math.min(p.keyLength() - 1, p.lastVisibleKey(i));
        float[] q = new float[d], k = new float[d], v = new float[d], g = new float[d];
        p.query().readRow(0, 0, i, q, 0);
        dO.readRow(0, 0, i, g, 0);
        double[] s = new double[last + 1];
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j <= last; j++) {
            p.key().readRow(0, 0, j, k, 0);
            for (int c = 0; c < d; c++) {
                s[j] += (double) q[c] * k[c];
            }
            s[j] *= p.scale();
            max = Math.max(max, s[j]);
        }
        double sum = 0;
        double[] o = new double[d];
        for (int j = 0; j <= last; j++) {
            s[j] = Math.exp(s[j] - max);
            sum += s[j];
            p.value().readRow(0, 0, j, v, 0);
            for (int c = 0; c < d; c++) {
                o[c] += s[j] * v[c];
            }
        }
        double delta = 0;
        for (int c = 0; c < d; c++) {
            delta += g[c] * o[c] / sum;
        }
        double[] expected = new double[d];
        for (int j = 0; j <= last; j++) {
            p.key().readRow(0, 0, j, k, 0);
            p.value().readRow(0, 0, j, v, 0);
            double dp = 0;
            for (int c = 0; c < d; c++) {
                dp += (double) g[c] * v[c];
            }
            double gij = s[j] / sum * (dp - delta);
            for (int c = 0; c < d; c++) {
                expected[c] += p.scale() * gij * k[c];
            }
        }
        double maxErr = 0, maxRef = 0;
        for (int c = 0; c < d; c++) {
            maxErr = Math.max(maxErr, Math.abs(dQ.get(0, 0, i, c) - expected[c]));
            maxRef = Math.max(maxRef, Math.abs(expected[c]));
        }
        return maxErr / maxRef;
    }
}

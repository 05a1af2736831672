package dev.hyperattention4j.attention.hyper;

import dev.hyperattention4j.attention.AttentionProblem;
import dev.hyperattention4j.attention.BackwardContext;
import dev.hyperattention4j.runtime.WorkerPool;
import dev.hyperattention4j.tensor.FloatTensor;
import java.util.Arrays;
import java.util.Random;

/**
 * Measures HyperAttention's backward with the dK/dV scatter on one key-row stripe (the former serial scatter) and
 * on the automatic stripes, interleaved in one JVM so that machine load hits both alike. Not a test: run it as
 * {@code java --add-modules jdk.incubator.vector -cp core/target/classes:core/target/test-classes
 * dev.hyperattention4j.attention.hyper.ScatterBenchMain n [reps] [threads]}.
 */
public final class ScatterBenchMain {
    private ScatterBenchMain() {}

    public static void main(String[] args) {
        int n = Integer.parseInt(args[0]);
        int reps = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        int threads = args.length > 2 ? Integer.parseInt(args[2]) : Runtime.getRuntime().availableProcessors();
        int d = 64;
        Random r = new Random(1);
        FloatTensor q = HyperTesting.randn(r, 1, 1, n, d), k = HyperTesting.randn(r, 1, 1, n, d);
        FloatTensor v = HyperTesting.randn(r, 1, 1, n, d), dO = HyperTesting.randn(r, 1, 1, n, d);
        try (WorkerPool pool = new WorkerPool(threads)) {
            for (boolean causal : new boolean[] {false, true}) {
                TrainableHyperAttention attention = new TrainableHyperAttention(HyperConfig.defaults(), pool);
                BackwardContext ctx = attention.forward(AttentionProblem.of(q, k, v).withCausal(causal), true);
                double[][] sec = new double[2][reps];
                for (int i = -1; i < reps; i++) {               // i = -1: warm-up of both
                    for (int mode = 0; mode < 2; mode++) {
                        HyperBackward.scatterStripes = mode == 0 ? 1 : 0;
                        long t0 = System.nanoTime();
                        attention.backward(ctx, dO);
                        if (i >= 0) {
                            sec[mode][i] = (System.nanoTime() - t0) / 1e9;
                        }
                    }
                }
                HyperBackward.scatterStripes = 0;
                double one = median(sec[0]), par = median(sec[1]);
                System.out.printf("n=%d d=%d %s threads=%d: backward median 1 stripe %.3f s, parallel stripes %.3f s, "
                        + "ratio %.2fx; best %.3f / %.3f s = %.2fx%n", n, d, causal ? "causal" : "non-causal", threads,
                        one, par, one / par, min(sec[0]), min(sec[1]), min(sec[0]) / min(sec[1]));
            }
        }
    }

    private static double min(double[] x) {
        return Arrays.stream(x).min().orElseThrow();
    }

    private static double median(double[] x) {
        double[] s = x.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }
}

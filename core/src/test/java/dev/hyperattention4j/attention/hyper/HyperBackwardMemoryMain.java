package dev.hyperattention4j.attention.hyper;

import dev.hyperattention4j.attention.AttentionProblem;
import dev.hyperattention4j.attention.BackwardContext;
import dev.hyperattention4j.attention.Gradients;
import dev.hyperattention4j.runtime.WorkerPool;
import dev.hyperattention4j.tensor.FloatTensor;
import dev.hyperattention4j.testing.TestTensors;
import java.util.Random;

/**
 * Run by {@link HyperBackwardMemoryTest} in a JVM with a small heap: HyperAttention forward + backward at
 * n = 131,072 (an n×n float buffer would take 64 GiB), non-causal and causal, with the paper's defaults. Checks that
 * every gradient is finite and non-zero; prints "ok" lines, exits non-zero on failure.
 */
public final class HyperBackwardMemoryMain {
    private HyperBackwardMemoryMain() {}

    public static void main(String[] args) {
        int n = Integer.parseInt(args[0]), d = 64;
        try (WorkerPool pool = new WorkerPool(2)) {
            for (boolean causal : new boolean[] {false, true}) {
                Random r = new Random(n + (causal ? 1 : 0));
                FloatTensor q = TestTensors.gaussian(r, 1, 1, 1, n, d), k = TestTensors.gaussian(r, 1, 1, 1, n, d);
                FloatTensor v = TestTensors.gaussian(r, 1, 1, 1, n, d), dO = TestTensors.gaussian(r, 1, 1, 1, n, d);
                TrainableHyperAttention attention = new TrainableHyperAttention(HyperConfig.defaults(), pool);
                BackwardContext ctx = attention.forward(AttentionProblem.of(q, k, v).withCausal(causal), true);
                Gradients g = attention.backward(ctx, dO);
                for (FloatTensor t : new FloatTensor[] {g.query(), g.key(), g.value()}) {
                    double max = 0;
                    float[] row = new float[d];
                    for (int i = 0; i < n; i++) {
                        t.readRow(0, 0, i, row, 0);
                        for (float x : row) {
                            if (!Float.isFinite(x)) {
                                System.out.println("FAIL non-finite gradient at row " + i);
                                System.exit(1);
                            }
                            max = Math.max(max, Math.abs(x));
                        }
                    }
                    if (max == 0) {
                        System.out.println("FAIL zero gradient");
                        System.exit(1);
                    }
                }
                System.out.println("ok hyper n=" + n + " causal=" + causal);
            }
        }
        System.out.println("done, max heap " + Runtime.getRuntime().maxMemory() / (1 << 20) + " MiB");
    }
}

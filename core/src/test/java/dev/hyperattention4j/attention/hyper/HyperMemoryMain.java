package dev.hyperattention4j.attention.hyper;

import dev.hyperattention4j.attention.AttentionProblem;
import dev.hyperattention4j.tensor.FloatTensor;
import java.util.SplittableRandom;

/**
 * Forked-JVM body of {@link HyperMemoryTest}: one HyperAttention forward pass (default settings) of one head with
 * n = args[0], d = 64, causal = args[1], with log-sum-exp output. Q, K, V and O take 4·n·d floats (128 MiB at
 * n = 131,072); anything O(n²) would need 64 GiB. Prints "OK" and a checksum when every output is finite.
 */
public final class HyperMemoryMain {
    public static void main(String[] args) {
        int n = Integer.parseInt(args[0]);
        boolean causal = Boolean.parseBoolean(args[1]);
        int d = 64;
        SplittableRandom r = new SplittableRandom(1);
        FloatTensor q = fill(r, n, d), k = fill(r, n, d), v = fill(r, n, d);
        AttentionProblem p = AttentionProblem.of(q, k, v).withCausal(causal).withLogSumExp();
        HyperAttention hyper = new HyperAttention(HyperConfig.defaults());
        long t0 = System.nanoTime();
        hyper.forward(p);
        long t1 = System.nanoTime();
        float[] lse = p.logSumExp();
        double sum = 0;
        float[] row = new float[d];
        for (int i = 0; i < n; i++) {
            p.output().readRow(0, 0, i, row, 0);
            for (float x : row) {
                if (!Float.isFinite(x)) {
                    throw new IllegalStateException("non-finite output in row " + i);
                }
                sum += x;
            }
            if (!Float.isFinite(lse[i])) {
                throw new IllegalStateException("non-finite log-sum-exp in row " + i);
            }
        }
        Runtime rt = Runtime.getRuntime();
        System.out.printf("OK n=%d causal=%s time=%.2fs checksum=%.4f maxHeap=%dMiB%n", n, causal, (t1 - t0) / 1e9,
                sum, rt.maxMemory() >> 20);
    }

    private static FloatTensor fill(SplittableRandom r, int n, int d) {
        float[] x = new float[n * d];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (r.nextDouble() * 2 - 1);
        }
        return FloatTensor.of(x, 1, 1, n, d);
    }
}

package dev.hyperattention4j.bench.paired;

import dev.hyperattention4j.attention.AttentionProblem;
import dev.hyperattention4j.attention.FlashAttention;
import dev.hyperattention4j.runtime.WorkerPool;
import dev.hyperattention4j.tensor.FloatTensor;
import java.util.SplittableRandom;
import java.util.function.DoubleSupplier;

/**
 * One FlashAttention point for {@link PairedBuilds}: loaded once per build, in that build's class loader, so it links
 * against that build's {@code core}. Each call times one forward pass on its own pool and returns GFLOP/s (elapsed
 * time; 4·n²·d flops, half when causal).
 */
public final class FlashRun implements DoubleSupplier {
    private final AttentionProblem problem;
    private final FlashAttention flash;

    /** @param spec {@code n,d} or {@code n,d,causal} */
    public FlashRun(String spec, int threads) {
        String[] parts = spec.split(",");
        int n = Integer.parseInt(parts[0]), d = Integer.parseInt(parts[1]);
        boolean causal = parts.length > 2 && parts[2].equals("causal");
        SplittableRandom r = new SplittableRandom(1);
        FloatTensor[] qkv = new FloatTensor[3];
        for (int i = 0; i < 3; i++) {
            float[] x = new float[n * d];
            for (int j = 0; j < x.length; j++) {
                x[j] = (float) (r.nextDouble() * 2 - 1);
            }
            qkv[i] = FloatTensor.of(x, 1, 1, n, d);
        }
        problem = AttentionProblem.of(qkv[0], qkv[1], qkv[2]).withCausal(causal);
        flash = new FlashAttention(new WorkerPool(threads));
    }

    @Override
    public double getAsDouble() {
        long t0 = System.nanoTime();
        flash.forward(problem);
        return problem.flops() / (System.nanoTime() - t0);
    }
}

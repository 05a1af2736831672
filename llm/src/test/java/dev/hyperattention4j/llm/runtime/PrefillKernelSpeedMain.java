package dev.hyperattention4j.llm.runtime;

import dev.hyperattention4j.kernel.FmaPeakProbe;
import dev.hyperattention4j.llm.model.DType;
import dev.hyperattention4j.llm.model.WeightTensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;

/**
 * Prefill speed of {@link QuantLinear} per weight type on one thread: a rows × cols matrix (default 4864 × 896,
 * the MLP of qwen2.5-0.5b) times one tile of {@link PrefillKernel#TOKENS} tokens ({@code -Dtokens=N}), as
 * LlamaSession's prefill calls it with a long prompt, and the microkernel alone in cache, as a ratio to the FMA
 * peak of the same thread measured in the same run. Timed in the thread's CPU time (robust on a busy host), best of
 * the last half of the rounds.
 * Run (after {@code mvn -pl llm -am test-compile}): {@code java --add-modules jdk.incubator.vector
 * -cp llm/target/classes:llm/target/test-classes:core/target/classes
 * dev.hyperattention4j.llm.runtime.PrefillKernelSpeedMain [rows] [cols] [types...]}.
 */
public final class PrefillKernelSpeedMain {
    private static final java.lang.management.ThreadMXBean CPU =
            java.lang.management.ManagementFactory.getThreadMXBean();

    private PrefillKernelSpeedMain() {}

    public static void main(String[] args) {
        int rows = args.length > 0 ? Integer.parseInt(args[0]) : 4864;
        int cols = args.length > 1 ? Integer.parseInt(args[1]) : 896;
        int tokens = Integer.getInteger("tokens", PrefillKernel.TOKENS);
        String[] types = args.length > 2 ? java.util.Arrays.copyOfRange(args, 2, args.length)
                : new String[] {"Q8_0", "Q4_K", "Q6_K", "Q5_0", "F16"};
        KernelWarmup.awaitReady();
        double peak = 0;
        for (int round = 0; round < 5; round++) {
            long c0 = CPU.getCurrentThreadCpuTime();
            float sink = FmaPeakProbe.spin(5_000_000, 0.5f);
            double s = (CPU.getCurrentThreadCpuTime() - c0) / 1e9;
            peak = Math.max(peak, 5_000_000.0 * FmaPeakProbe.FLOPS_PER_ITERATION / s + (sink == 12345f ? 1 : 0));
        }
        System.out.printf("1 thread, %d x %d x %d tokens, FMA peak %.1f GFLOP/s%n", rows, cols, tokens, peak / 1e9);
        {
            // the microkernel alone: 64 decoded rows × 512 columns against 128 tokens of panels, all in cache
            int kc = 512, nr = 64, tp = 128;
            float[] wt = new float[nr * kc], xt = new float[tp * kc], acc = new float[nr * tp];
            java.util.Arrays.fill(wt, 0.5f);
            java.util.Arrays.fill(xt, 0.25f);
            double best = Double.MAX_VALUE;
            for (int round = 0; round < 4000; round++) {
                long c0 = CPU.getCurrentThreadCpuTime();
                for (int rep = 0; rep < 10; rep++) {
                    PrefillKernel.multiply(wt, 0, kc, nr, kc, xt, 0, kc, 0, tp, acc, 0);
                }
                double s = (CPU.getCurrentThreadCpuTime() - c0) / 1e9;
                if (round >= 2000) {
                    best = Math.min(best, s);
                }
            }
            double flops = 10 * 2.0 * nr * kc * tp / best;
            System.out.printf("multiply alone (64 x 512 x 128, in cache): %.1f GFLOP/s = %.1f %% of peak%n",
                    flops / 1e9, 100 * flops / peak);
        }
        try (Arena arena = Arena.ofConfined()) {
            for (String name : types) {
                DType type = DType.valueOf(name);
                long rowBytes = type.bytesFor(cols);
                MemorySegment data = arena.allocate(rowBytes * rows, 64);
                SplittableRandom r = new SplittableRandom(1);
                for (long p = 0; p + 8 <= data.byteSize(); p += 8) {
                    // random bytes with the exponent bits of every half cleared: finite scales, no NaN slow paths
                    data.set(ValueLayout.JAVA_LONG_UNALIGNED, p, r.nextLong() & 0x3bff3bff3bff3bffL);
                }
                QuantLinear lin = new QuantLinear(new WeightTensor("w", type, new long[] {rows, cols}, data));
                float[] x = new float[tokens * cols];
                for (int i = 0; i < x.length; i++) {
                    x[i] = (float) r.nextDouble(-1, 1);
                }
                int os = lin.paddedRows();
                float[] out = new float[tokens * os];
                float[] scratch = new float[lin.scratchSize()];
                int rounds = 40;
                double best = Double.MAX_VALUE;
                for (int round = 0; round < rounds; round++) {
                    long c0 = CPU.getCurrentThreadCpuTime();
                    lin.applyVector(x, 0, cols, tokens, out, 0, os, 0, rows, scratch);
                    double s = (CPU.getCurrentThreadCpuTime() - c0) / 1e9;
                    if (round >= rounds / 2) {
                        best = Math.min(best, s);
                    }
                }
                // the decoding alone: every row expanded once, as the prefill path does per token batch
                BlockKernel k = BlockKernel.forType(type);
                double decode = Double.MAX_VALUE;
                for (int round = 0; k != null && round < rounds; round++) {
                    long c0 = CPU.getCurrentThreadCpuTime();
                    for (int o = 0; o < rows; o++) {
                        k.expand(data, o * rowBytes, cols, scratch, 0);
                    }
                    double s = (CPU.getCurrentThreadCpuTime() - c0) / 1e9;
                    if (round >= rounds / 2) {
                        decode = Math.min(decode, s);
                    }
                }
                double flops = 2.0 * rows * cols * tokens / best;
                System.out.printf("%-5s %6.2f ms, %6.1f GFLOP/s = %5.1f %% of peak; decoding alone %.2f ms%n", name,
                        best * 1e3, flops / 1e9, 100 * flops / peak, decode * 1e3);
            }
        }
    }
}

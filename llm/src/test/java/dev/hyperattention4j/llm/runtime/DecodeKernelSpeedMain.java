package dev.hyperattention4j.llm.runtime;

import dev.hyperattention4j.kernel.ReadBandwidthProbe;
import dev.hyperattention4j.llm.model.DType;
import dev.hyperattention4j.llm.model.WeightTensor;
import dev.hyperattention4j.runtime.WorkerPool;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Single-token (decode) speed of {@link QuantLinear} per weight type, from memory: a matrix of about 384 MiB (far
 * beyond the last-level cache) times one token, rows claimed in units of 64 as a decode step claims them, as a ratio
 * to the streaming read bandwidth measured in the same run with the same thread count. Best of the last 10 of 20
 * passes (the first ones let C2 compile). {@code -Dmib=N} or {@code -Dkib=N} sets the matrix size (small: in cache).
 * Run (after {@code mvn -pl llm -am test-compile}): {@code java --add-modules jdk.incubator.vector
 * -cp llm/target/classes:llm/target/test-classes:core/target/classes
 * dev.hyperattention4j.llm.runtime.DecodeKernelSpeedMain [threads] [cols] [types...]}.
 */
public final class DecodeKernelSpeedMain {
    private static final java.lang.management.ThreadMXBean CPU =
            java.lang.management.ManagementFactory.getThreadMXBean();

    private DecodeKernelSpeedMain() {}

    public static void main(String[] args) throws Exception {
        int threads = args.length > 0 ? Integer.parseInt(args[0]) : 1;
        int cols = args.length > 1 ? Integer.parseInt(args[1]) : 2048;
        long bytes = Long.getLong("kib", 1024L * Integer.getInteger("mib", 384)) << 10;
        String[] types = args.length > 2 ? java.util.Arrays.copyOfRange(args, 2, args.length)
                : new String[] {"Q8_0", "Q4_0", "Q4_1", "Q4_K", "Q5_K", "Q6_K", "F16", "BF16", "Q5_0", "Q5_1"};
        KernelWarmup.awaitReady();
        try (WorkerPool pool = new WorkerPool(threads); Arena arena = Arena.ofShared()) {
            double bw = ReadBandwidthProbe.measure(pool, 1L << 30, 3);
            System.out.printf("%d thread(s), %d columns, read bandwidth %.1f GB/s%n", threads, cols, bw / 1e9);
            for (String name : types) {
                DType type = DType.valueOf(name);
                long rowBytes = type.bytesFor(cols);
                int rows = (int) (bytes / rowBytes) / 64 * 64;
                MemorySegment data = arena.allocate(rowBytes * rows, 64);
                SplittableRandom r = new SplittableRandom(1);
                for (long p = 0; p + 8 <= data.byteSize(); p += 8) {
                    // random bytes with the exponent bits of every half cleared: finite scales, no NaN slow paths
                    data.set(ValueLayout.JAVA_LONG_UNALIGNED, p, r.nextLong() & 0x3bff3bff3bff3bffL);
                }
                QuantLinear lin = new QuantLinear(new WeightTensor("w", type, new long[] {rows, cols}, data));
                float[] x = new float[cols];
                for (int i = 0; i < cols; i++) {
                    x[i] = (float) r.nextDouble(-1, 1);
                }
                float[] out = new float[lin.paddedRows()];
                float[][] scratch = new float[threads][lin.scratchSize()];
                int units = rows / 64;
                int reps = threads == 1 ? (int) Math.max(1, (4L << 20) / (rowBytes * rows)) : 1;
                int rounds = (int) Math.max(20, Math.min(1000, (8000L << 20) / (rowBytes * rows * reps)));
                double best = Double.MAX_VALUE;
                for (int round = 0; round < rounds; round++) {
                    AtomicInteger next = new AtomicInteger();
                    long t0 = System.nanoTime(), c0 = CPU.getCurrentThreadCpuTime();
                    if (threads == 1) {   // on the calling thread, timed in its CPU time (robust on a busy host)
                        for (int rep = 0; rep < reps; rep++) {
                            for (int k = 0; k < units; k++) {
                                lin.applyVector(x, 0, 0, 1, out, 0, 0, 64 * k, 64 * k + 64, scratch[0]);
                            }
                        }
                    } else {
                        pool.run(threads, (w, u) -> {
                            int k;
                            while ((k = next.getAndIncrement()) < units) {
                                lin.applyVector(x, 0, 0, 1, out, 0, 0, 64 * k, 64 * k + 64, scratch[w]);
                            }
                        });
                    }
                    double s = (threads == 1 ? CPU.getCurrentThreadCpuTime() - c0 : System.nanoTime() - t0) / 1e9 / reps;
                    if (round >= rounds / 2) {
                        best = Math.min(best, s);
                    }
                }
                double gbs = rowBytes * rows / best;
                System.out.printf("%-5s %6d x %d: %6.2f ms, %5.1f GB/s = %5.1f %% of bandwidth%n", name, rows, cols,
                        best * 1e3, gbs / 1e9, 100 * gbs / bw);
            }
        }
    }
}

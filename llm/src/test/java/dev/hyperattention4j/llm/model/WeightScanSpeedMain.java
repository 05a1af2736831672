package dev.hyperattention4j.llm.model;

import dev.hyperattention4j.llm.testing.BestTime;
import dev.hyperattention4j.runtime.WorkerPool;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.List;

/**
 * Speed of {@link WeightScanner} against a plain scalar loop over the same native memory, in one run (ratios are
 * the result; absolute GB/s depend on the machine and its load). 256 MiB per element type, best of 5.
 * Run (after {@code mvn -pl llm test-compile}): {@code java --add-modules jdk.incubator.vector
 * -cp llm/target/classes:llm/target/test-classes:core/target/classes
 * dev.hyperattention4j.llm.model.WeightScanSpeedMain}.
 */
public final class WeightScanSpeedMain {
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort SHORT =
            ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private WeightScanSpeedMain() {}

    public static void main(String[] args) throws Exception {
        long bytes = 256L << 20;
        try (Arena arena = Arena.ofShared(); WorkerPool one = new WorkerPool(1);
             WorkerPool all = new WorkerPool(Runtime.getRuntime().availableProcessors())) {
            MemorySegment data = arena.allocate(bytes, 64);
            for (DType type : new DType[] {DType.F32, DType.F16, DType.Q8_0}) {
                long elements = bytes / type.blockBytes() * type.blockSize();
                WeightTensor t = new WeightTensor("t", type, new long[] {elements}, data.asSlice(0,
                        type.bytesFor(elements)));
                for (long i = 0; i < bytes / 2; i++) { // finite values of the type (or scales of 1.0)
                    short f16 = type == DType.F16 ? Float.floatToFloat16((float) Math.sin(i)) : (short) 0x3c00;
                    data.set(SHORT, 2 * i, type == DType.F32 ? (short) (i % 2 == 0 ? 0 : 0x3f00) : f16);
                }
                double scalar = BestTime.seconds(5, () -> scalar(t));
                double vector1 = BestTime.seconds(5, () -> WeightScanner.scan(null, List.of(t), one));
                double vectorAll = BestTime.seconds(5, () -> WeightScanner.scan(null, List.of(t), all));
                double gb = t.data().byteSize() / 1e9;
                System.out.printf("%-5s %6.0f MB: scalar loop %.2f GB/s, scanner 1 thread %.2f GB/s (%.1fx), "
                                + "%d threads %.2f GB/s (%.1fx of scalar)%n", type, gb * 1e3, gb / scalar,
                        gb / vector1, scalar / vector1, all.threads(), gb / vectorAll, scalar / vectorAll);
            }
        }
    }

    /** The obvious per-element loop (decode, then Float.isFinite), as a baseline. */
    private static void scalar(WeightTensor t) {
        MemorySegment d = t.data();
        long n = t.elementCount();
        boolean finite = true;
        switch (t.type()) {
            case F32 -> {
                for (long i = 0; i < n; i++) {
                    finite &= Float.isFinite(Float.intBitsToFloat(d.get(INT, 4 * i)));
                }
            }
            case F16 -> {
                for (long i = 0; i < n; i++) {
                    finite &= Float.isFinite(Float.float16ToFloat(d.get(SHORT, 2 * i)));
                }
            }
            default -> {
                for (long b = 0; b < n / 32; b++) {
                    finite &= Float.isFinite(Float.float16ToFloat(d.get(SHORT, b * t.type().blockBytes())));
                }
            }
        }
        if (!finite) {
            throw new IllegalStateException("not finite");
        }
    }
}

package dev.hyperattention4j.llm.model;

import dev.hyperattention4j.llm.testing.BestTime;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.List;

/**
 * Cost of the load-time scale check ({@link WeightScanner#checkScales}) on a large quantised tensor, as a ratio to
 * one streaming read of the same bytes (what a decode step costs at least) measured in the same run. 768 MiB of
 * Q4_K and of Q8_0 in native memory (about a 1.3B-parameter Q4_K file), best of 5.
 * Run (after {@code mvn -pl llm -am test-compile}): {@code java --add-modules jdk.incubator.vector
 * -cp llm/target/classes:llm/target/test-classes:core/target/classes
 * dev.hyperattention4j.llm.model.ScaleCheckSpeedMain}.
 */
public final class ScaleCheckSpeedMain {
    private static final ValueLayout.OfShort SHORT =
            ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private ScaleCheckSpeedMain() {}

    public static void main(String[] args) throws Exception {
        long bytes = 768L << 20;
        try (Arena arena = Arena.ofShared()) {
            MemorySegment data = arena.allocate(bytes, 64);
            for (long i = 0; i < bytes / 2; i++) {
                data.set(SHORT, 2 * i, (short) 0x3c00); // every f16 field reads 1.0
            }
            double read = BestTime.seconds(5, () -> {
                long sum = 0;
                for (long p = 0; p < bytes; p += 8) {
                    sum += data.get(LONG, p);
                }
                if (sum == 42) {
                    System.out.print("");
                }
            });
            for (DType type : new DType[] {DType.Q4_K, DType.Q8_0, DType.Q6_K}) {
                long elements = bytes / type.blockBytes() * type.blockSize();
                WeightTensor t = new WeightTensor("t", type, new long[] {elements},
                        data.asSlice(0, type.bytesFor(elements)));
                double check = BestTime.seconds(5, () -> WeightScanner.checkScales(null, List.of(t)));
                System.out.printf("%-5s %d MiB, %,d blocks: scale check %.1f ms; streaming read of the same bytes"
                                + " %.1f ms (%.2f GB/s); check / read = %.2f%n", type, bytes >> 20,
                        elements / type.blockSize(), check * 1e3, read * 1e3, bytes / read / 1e9, check / read);
            }
        }
    }
}

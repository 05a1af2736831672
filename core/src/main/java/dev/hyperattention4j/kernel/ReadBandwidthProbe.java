package dev.hyperattention4j.kernel;

import dev.hyperattention4j.runtime.WorkerPool;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Measures this machine's streaming read bandwidth from Java, like STREAM's read-only kernels: every thread of a
 * pool sums its own slice of an off-heap buffer far larger than the last-level cache, with four independent vector
 * accumulators (so the adds never limit the loads). A decode step of a language model reads its weights exactly so,
 * once each; the benchmark reports decode speed as a fraction of this figure.
 */
public final class ReadBandwidthProbe {
    private static final VectorSpecies<Float> SPECIES = VectorWidth.FLOAT;
    /** Default buffer: 1 GiB, over 10× the last-level cache of current server CPUs. */
    public static final long DEFAULT_BYTES = 1L << 30;

    private ReadBandwidthProbe() {}

    /**
     * Best bytes per second of {@code rounds} timed passes (after one untimed pass) of {@code pool.threads()} threads
     * reading {@code bytes} (rounded down to whole 4 KiB pages per thread) once each.
     */
    public static double measure(WorkerPool pool, long bytes, int rounds) {
        int threads = pool.threads();
        long slice = bytes / threads / 4096 * 4096;
        if (slice <= 0 || rounds < 1) {
            throw new IllegalArgumentException("bandwidth probe needs at least 4 KiB per thread and 1 round, got "
                    + bytes + " bytes for " + threads + " threads and " + rounds + " rounds");
        }
        try (Arena arena = Arena.ofShared()) {
            MemorySegment buffer = arena.allocate(slice * threads, 4096);
            // each thread writes its own slice first, so its pages are mapped (and local to it) before timing
            pool.run(threads, (w, u) -> buffer.asSlice(u * slice, slice).fill((byte) (1 + u)));
            float[] sink = new float[threads];
            for (int i = 0; i < 2000; i++) {   // compile the loop on a cache-resident piece before timing
                sink[0] += sum(buffer, 0, Math.min(slice, 1 << 16));
            }
            double best = 0;
            for (int round = 0; round <= rounds; round++) {
                long t0 = System.nanoTime();
                pool.run(threads, (w, u) -> sink[u] += sum(buffer, u * slice, slice));
                long nanos = System.nanoTime() - t0;
                if (round > 0) {
                    best = Math.max(best, slice * threads / (nanos / 1e9));
                }
            }
            if (Float.isNaN(sink[0])) {
                throw new IllegalStateException("bandwidth probe returned NaN");
            }
            return best;
        }
    }

    /** Sum of the floats in [from, from + length) (a value depending on every load, so none is dropped). */
    static float sum(MemorySegment s, long from, long length) {
        long step = 4L * SPECIES.vectorByteSize();
        long end = from + length / step * step;
        int vb = SPECIES.vectorByteSize();
        FloatVector a0 = FloatVector.zero(SPECIES), a1 = a0, a2 = a0, a3 = a0;
        for (long p = from; p < end; p += step) {
            a0 = a0.add(FloatVector.fromMemorySegment(SPECIES, s, p, ByteOrder.nativeOrder()));
            a1 = a1.add(FloatVector.fromMemorySegment(SPECIES, s, p + vb, ByteOrder.nativeOrder()));
            a2 = a2.add(FloatVector.fromMemorySegment(SPECIES, s, p + 2L * vb, ByteOrder.nativeOrder()));
            a3 = a3.add(FloatVector.fromMemorySegment(SPECIES, s, p + 3L * vb, ByteOrder.nativeOrder()));
        }
        return a0.add(a1).add(a2).add(a3).lane(0);
    }
}

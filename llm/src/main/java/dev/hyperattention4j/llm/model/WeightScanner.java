package dev.hyperattention4j.llm.model;

import dev.hyperattention4j.runtime.WorkerPool;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Scans weight tensors for NaN and infinities straight from their (mapped) bytes: F32, F16 and BF16 elements, and
 * the f16 scale fields of every quantised block ({@link DType#scaleOffsets()}: d, and m or dmin where the type has
 * one; quants and K-quant sub-block scales are integers, always finite). A value is not finite exactly
 * when its exponent bits are all ones, i.e. when its bits without the sign are at least the bits of +Inf, so the
 * plain types are checked with one integer compare per lane, several vectors per step. The tensors are cut into
 * chunks that the worker pool scans in parallel; the reported element is the first bad one in tensor order,
 * whatever the thread timing.
 */
public final class WeightScanner {
    /** Elements per parallel unit: large enough to amortise a unit, small enough to balance; a multiple of 32. */
    static final long CHUNK_ELEMENTS = 1L << 20;

    private static final VectorSpecies<Integer> INTS = IntVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Short> SHORTS = ShortVector.SPECIES_PREFERRED;
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort SHORT =
            ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final int F32_INF = 0x7f80_0000;
    private static final int F16_INF = 0x7c00;
    private static final int BF16_INF = 0x7f80;

    /**
     * What a clean scan covered.
     *
     * @param tensors  tensors scanned
     * @param elements weights scanned (for quantised types, 32 per block scale)
     * @param bytes    bytes of tensor data
     * @param nanos    wall time of the scan
     */
    public record Report(int tensors, long elements, long bytes, long nanos) {}

    private WeightScanner() {}

    /**
     * Checks every tensor; {@code file} only names the model in the exception. The pool's threads read the tensor
     * data, so it must live in a shared (or global) arena, as every model from {@link ModelLoader} does.
     *
     * @throws NonFiniteWeightException for the first non-finite value in tensor order
     */
    public static Report scan(Path file, List<WeightTensor> tensors, WorkerPool pool)
            throws NonFiniteWeightException {
        return scan(file, tensors, pool, CHUNK_ELEMENTS);
    }

    static Report scan(Path file, List<WeightTensor> tensors, WorkerPool pool, long chunkElements)
            throws NonFiniteWeightException {
        if (chunkElements <= 0 || chunkElements % 32 != 0) {
            throw new IllegalArgumentException("chunkElements must be a positive multiple of 32, got "
                    + chunkElements);
        }
        long t0 = System.nanoTime();
        long units = 0;
        long elements = 0;
        long bytes = 0;
        for (WeightTensor t : tensors) {
            long chunk = chunkOf(t, chunkElements);
            units += (t.elementCount() + chunk - 1) / chunk;
            elements += t.elementCount();
            bytes += t.data().byteSize();
        }
        int[] tensorOf = new int[Math.toIntExact(units)];
        long[] startOf = new long[tensorOf.length];
        for (int ti = 0, u = 0; ti < tensors.size(); ti++) {
            long chunk = chunkOf(tensors.get(ti), chunkElements);
            for (long start = 0; start < tensors.get(ti).elementCount(); start += chunk, u++) {
                tensorOf[u] = ti;
                startOf[u] = start;
            }
        }
        long[] firstBad = new long[tensorOf.length];
        Arrays.fill(firstBad, -1);
        AtomicInteger firstBadUnit = new AtomicInteger(Integer.MAX_VALUE);
        pool.run(tensorOf.length, (worker, u) -> {
            if (u > firstBadUnit.get()) {
                return; // an earlier unit already holds the answer; later units cannot change it
            }
            WeightTensor t = tensors.get(tensorOf[u]);
            long from = startOf[u];
            long to = Math.min(t.elementCount(), from + chunkOf(t, chunkElements));
            long bad = firstNonFinite(t.data(), t.type(), from, to);
            if (bad >= 0) {
                firstBad[u] = bad;
                firstBadUnit.accumulateAndGet(u, Math::min);
            }
        });
        int hit = firstBadUnit.get();
        if (hit != Integer.MAX_VALUE) {
            WeightTensor t = tensors.get(tensorOf[hit]);
            throw new NonFiniteWeightException(file, t, firstBad[hit], valueAt(t, firstBad[hit]));
        }
        return new Report(tensors.size(), elements, bytes, System.nanoTime() - t0);
    }

    /**
     * The load-time check of quantised tensors: every block's f16 scale fields (not the F32/F16/BF16 tensors, whose
     * full scan is {@link #scan}'s job). It reads 2 or 4 bytes per block of 32 to 256 weights, but those bytes lie
     * on nearly every cache line, so it costs about one pass over the tensor data; chunks of whole blocks are
     * checked in parallel (common fork-join pool), and the first bad block in tensor order is reported.
     *
     * @throws NonFiniteWeightException for the first bad scale, in tensor order
     */
    public static void checkScales(Path file, Iterable<WeightTensor> tensors) throws NonFiniteWeightException {
        List<WeightTensor> quantized = new java.util.ArrayList<>();
        for (WeightTensor t : tensors) {
            if (t.type().quantized()) {
                quantized.add(t);
            }
        }
        List<long[]> units = new java.util.ArrayList<>(); // {tensor index, first element, end element}
        for (int ti = 0; ti < quantized.size(); ti++) {
            WeightTensor t = quantized.get(ti);
            long chunk = chunkOf(t, 4 * CHUNK_ELEMENTS);
            for (long from = 0; from < t.elementCount(); from += chunk) {
                units.add(new long[] {ti, from, Math.min(t.elementCount(), from + chunk)});
            }
        }
        long[] firstBad = new long[units.size()];
        java.util.stream.IntStream.range(0, units.size()).parallel().forEach(u -> {
            long[] unit = units.get(u);
            WeightTensor t = quantized.get((int) unit[0]);
            firstBad[u] = firstBadScale(t.data(), t.type(), unit[1], unit[2]);
        });
        for (int u = 0; u < firstBad.length; u++) {
            if (firstBad[u] >= 0) {
                WeightTensor t = quantized.get((int) units.get(u)[0]);
                throw new NonFiniteWeightException(file, t, firstBad[u], valueAt(t, firstBad[u]));
            }
        }
    }

    /** Chunks hold whole blocks: {@code chunkElements} rounded up to the tensor's block size (32 or 256). */
    private static long chunkOf(WeightTensor t, long chunkElements) {
        int size = t.type().blockSize();
        return (chunkElements + size - 1) / size * size;
    }

    /** The first element in [from, to) that is not finite (for quantised types: the first of a bad block), or -1. */
    static long firstNonFinite(MemorySegment data, DType type, long from, long to) {
        return switch (type) {
            case F32 -> firstNonFinite32(data, from, to);
            case F16 -> firstNonFinite16(data, from, to, F16_INF);
            case BF16 -> firstNonFinite16(data, from, to, BF16_INF);
            default -> firstBadScale(data, type, from, to);
        };
    }

    private static long firstNonFinite32(MemorySegment data, long from, long to) {
        long i = from;
        if (vectorReadable(data)) {
            int step = 4 * INTS.length();
            for (; i + step <= to; i += step) {
                long p = 4 * i;
                long lane = 4L * INTS.length();
                IntVector m = load32(data, p).max(load32(data, p + lane)).max(load32(data, p + 2 * lane))
                        .max(load32(data, p + 3 * lane));
                if (m.compare(VectorOperators.GE, F32_INF).anyTrue()) {
                    break; // the scalar loop below finds the exact element within these lanes
                }
            }
        }
        for (; i < to; i++) {
            if ((data.get(INT, 4 * i) & 0x7fff_ffff) >= F32_INF) {
                return i;
            }
        }
        return -1;
    }

    private static IntVector load32(MemorySegment data, long byteOffset) {
        return IntVector.fromMemorySegment(INTS, data, byteOffset, ByteOrder.LITTLE_ENDIAN).and(0x7fff_ffff);
    }

    /** F16 and BF16: 16-bit values whose exponent is all ones (inf = the bits of +Inf). */
    private static long firstNonFinite16(MemorySegment data, long from, long to, int inf) {
        long i = from;
        short limit = (short) inf;
        if (vectorReadable(data)) {
            int step = 4 * SHORTS.length();
            for (; i + step <= to; i += step) {
                long p = 2 * i;
                long lane = 2L * SHORTS.length();
                ShortVector m = load16(data, p).max(load16(data, p + lane)).max(load16(data, p + 2 * lane))
                        .max(load16(data, p + 3 * lane));
                if (m.compare(VectorOperators.GE, limit).anyTrue()) {
                    break;
                }
            }
        }
        for (; i < to; i++) {
            if ((data.get(SHORT, 2 * i) & 0x7fff) >= inf) {
                return i;
            }
        }
        return -1;
    }

    private static ShortVector load16(MemorySegment data, long byteOffset) {
        return ShortVector.fromMemorySegment(SHORTS, data, byteOffset, ByteOrder.LITTLE_ENDIAN).and((short) 0x7fff);
    }

    /**
     * Quantised types: the f16 scale fields of each block; from and to are multiples of the block size. One or two
     * 16-bit loads per block of 32 to 256 weights: a 1B-parameter file has a few million of them.
     */
    private static long firstBadScale(MemorySegment data, DType type, long from, long to) {
        int blockBytes = type.blockBytes();
        int size = type.blockSize();
        int[] offsets = type.scaleOffsets();
        int first = offsets[0];
        int second = offsets.length > 1 ? offsets[1] : offsets[0];
        for (long b = from / size; b < to / size; b++) {
            long at = b * blockBytes;
            int bits = Math.max(data.get(SHORT, at + first) & 0x7fff, data.get(SHORT, at + second) & 0x7fff);
            if (bits >= F16_INF) {
                return size * b;
            }
        }
        return -1;
    }

    /** The first non-finite scale field of the block at {@code at} (its first scale field if all are finite). */
    private static float badScale(MemorySegment d, DType type, long at) {
        for (int offset : type.scaleOffsets()) {
            float v = Float.float16ToFloat(d.get(SHORT, at + offset));
            if (!Float.isFinite(v)) {
                return v;
            }
        }
        return Float.float16ToFloat(d.get(SHORT, at + type.scaleOffsets()[0]));
    }

    /** The Vector API reads native segments and heap segments over byte[]; others take the scalar loop. */
    private static boolean vectorReadable(MemorySegment data) {
        return data.isNative() || data.heapBase().map(base -> base instanceof byte[]).orElse(false);
    }

    /** The bad value itself (a quantised block's scale). */
    static float valueAt(WeightTensor t, long element) {
        MemorySegment d = t.data();
        return switch (t.type()) {
            case F32 -> Float.intBitsToFloat(d.get(INT, 4 * element));
            case F16 -> Float.float16ToFloat(d.get(SHORT, 2 * element));
            case BF16 -> Float.intBitsToFloat((d.get(SHORT, 2 * element) & 0xffff) << 16);
            default -> badScale(d, t.type(), element / t.type().blockSize() * t.type().blockBytes());
        };
    }
}

package dev.hyperattention4j.llm.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hyperattention4j.llm.model.DType;
import dev.hyperattention4j.llm.model.WeightTensor;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The fast kernels of {@link QuantLinear} on random blocks (random bytes, every f16 scale field set to a random
 * finite value): against a float64 product over the reference decoder's values ({@link Dequant}) for decode (one
 * token) and prefill (several), and bit for bit between each one's vector and scalar cold-start paths, row splits and
 * token groupings. Run at 512, 256 and 128 bits by the build (-Dha4j.vectorBits).
 */
class QuantKernelTest {
    /** Byte offsets of the f16 scale fields inside one block, per type. */
    private static final Map<String, int[]> SCALES = Map.ofEntries(
            Map.entry("Q8_0", new int[] {0}), Map.entry("Q4_0", new int[] {0}), Map.entry("Q4_1", new int[] {0, 2}),
            Map.entry("Q5_0", new int[] {0}), Map.entry("Q5_1", new int[] {0, 2}),
            Map.entry("Q2_K", new int[] {80, 82}), Map.entry("Q3_K", new int[] {108}),
            Map.entry("Q4_K", new int[] {0, 2}), Map.entry("Q5_K", new int[] {0, 2}), Map.entry("Q6_K", new int[] {208}));

    static List<DType> fastTypes() {
        List<DType> types = new ArrayList<>();
        for (DType t : DType.values()) {
            if (BlockKernel.forType(t) != null) {
                types.add(t);
            }
        }
        return types;
    }

    static Stream<Arguments> cases() {
        Stream.Builder<Arguments> b = Stream.builder();
        for (DType type : fastTypes()) {
            int bs = Math.max(type.blockSize(), 32);
            // rows: one, fewer than a tile, tile tails, more than a SIMD block; tokens: 1, tile tails, several tiles
            for (int[] s : new int[][] {{1, 1, 1}, {3, 2, 5}, {5, 1, 4}, {17, 3, 9}, {37, 2, 13}, {64, 4, 8}}) {
                b.add(Arguments.of(type, s[0], bs * s[1], s[2]));
            }
            // more rows than a prefill group, more columns than a span (a shorter last span), a half panel of tokens
            b.add(Arguments.of(type, PrefillKernel.GROUP + 6, PrefillKernel.SPAN + bs * Math.max(1, 128 / bs), 33));
            if (type.blockSize() == 1) {
                b.add(Arguments.of(type, 7, 37, 6));   // a column tail after the vector loop
            }
        }
        return b.build();
    }

    /** Random bytes, with every scale field (and every F16/BF16 value) a random finite number of moderate size. */
    static WeightTensor randomBlocks(DType type, int rows, int cols, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int bytes = (int) type.bytesFor((long) rows * cols);
        ByteBuffer b = ByteBuffer.allocate(bytes).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < bytes; i++) {
            b.put(i, (byte) r.nextInt(256));
        }
        switch (type.name()) {
            case "F32" -> {
                for (int i = 0; i < bytes; i += 4) {
                    b.putFloat(i, (float) r.nextGaussian());
                }
            }
            case "F16" -> {
                for (int i = 0; i < bytes; i += 2) {
                    // include subnormal halves: the vector conversion must get them right too
                    double v = r.nextInt(16) == 0 ? r.nextGaussian() * 1e-6 : r.nextGaussian();
                    b.putShort(i, Float.floatToFloat16((float) v));
                }
            }
            case "BF16" -> {
                for (int i = 0; i < bytes; i += 2) {
                    b.putShort(i, (short) (Float.floatToRawIntBits((float) r.nextGaussian()) >>> 16));
                }
            }
            default -> {
                int[] fields = SCALES.get(type.name());
                for (int blk = 0; blk < bytes / type.blockBytes(); blk++) {
                    for (int f : fields) {
                        float scale = (float) (0.001 + 0.05 * r.nextDouble()) * (r.nextBoolean() ? 1 : -1);
                        b.putShort(blk * type.blockBytes() + f, Float.floatToFloat16(scale));
                    }
                }
            }
        }
        return new WeightTensor("w", type, new long[] {rows, cols}, MemorySegment.ofArray(b.array()));
    }

    private static float[] gaussian(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return v;
    }

    /** Fast paths equal a float64 product over the reference decoder's weights (tolerance: float32 rounding). */
    @ParameterizedTest(name = "{0} {1}x{2}, {3} tokens")
    @MethodSource("cases")
    void matchesFloat64ProductOverReferenceDecoder(DType type, int rows, int cols, int tokens) {
        WeightTensor w = randomBlocks(type, rows, cols, rows * 131L + cols);
        float[] ref = Dequant.all(w);
        QuantLinear lin = new QuantLinear(w);
        assertThat(lin.hasFastKernel()).isTrue();
        int xs = cols + 5, os = lin.paddedRows() + 3;
        float[] x = gaussian(3 + tokens * xs, 7);
        for (boolean single : new boolean[] {true, false}) {
            float[] out = new float[2 + tokens * os];
            java.util.Arrays.fill(out, Float.NaN);
            if (single) {
                for (int t = 0; t < tokens; t++) {   // the decode kernel, one token at a time
                    lin.applyVector(x, 3 + t * xs, xs, 1, out, 2 + t * os, os, 0, rows, new float[lin.scratchSize()]);
                }
            } else {
                lin.applyVector(x, 3, xs, tokens, out, 2, os, 0, rows, new float[lin.scratchSize()]);
            }
            for (int t = 0; t < tokens; t++) {
                for (int o = 0; o < rows; o++) {
                    double exact = 0, abs = 0;
                    for (int k = 0; k < cols; k++) {
                        double p = (double) ref[o * cols + k] * x[3 + t * xs + k];
                        exact += p;
                        abs += Math.abs(p);
                    }
                    assertThat((double) out[2 + t * os + o]).as("%s token %d row %d", single ? "decode" : "prefill", t, o)
                            .isCloseTo(exact, org.assertj.core.data.Offset.offset(2e-6 * abs + 1e-30));
                }
                for (int o = rows; o < lin.paddedRows(); o++) {
                    assertThat(out[2 + t * os + o]).as("padding %d", o).isZero();
                }
            }
        }
    }

    /** The kernel's decoded weights equal the reference decoder's (up to the rounding of one fused multiply-add). */
    @ParameterizedTest(name = "{0} {1}x{2}")
    @MethodSource("cases")
    void expandMatchesReferenceDecoder(DType type, int rows, int cols, int tokens) {
        WeightTensor w = randomBlocks(type, rows, cols, 99 + rows);
        BlockKernel k = BlockKernel.forType(type);
        long rowBytes = type.bytesFor(cols);
        float[] ref = new float[cols], fast = new float[cols + 2], scalar = new float[cols + 2];
        for (int o = 0; o < rows; o++) {
            Dequant.row(w, o, ref, 0);
            k.expand(w.data(), o * rowBytes, cols, fast, 1);
            k.expandScalar(w.data(), o * rowBytes, cols, scalar, 2);
            for (int i = 0; i < cols; i++) {
                assertThat(fast[1 + i]).as("row %d col %d", o, i).isEqualTo(scalar[2 + i]);
                float tol = Math.max(Math.ulp(ref[i]), 1e-7f) * 2;
                assertThat(fast[1 + i]).as("row %d col %d", o, i).isCloseTo(ref[i], org.assertj.core.data.Offset.offset(tol));
            }
        }
    }

    /**
     * Prefill (several tokens: one FMA chain per output in column order) gives the same bits from the vector kernel,
     * the scalar cold-start path, any row split and any grouping of at least two tokens, so results do not depend
     * on the thread count or on how the session tiles a prompt. Decode (one token: lanes reduced by a fixed tree)
     * has its own order, so it equals prefill only within float32 rounding
     * ({@link #matchesFloat64ProductOverReferenceDecoder}); its vector and scalar paths agree bit for bit too.
     */
    @ParameterizedTest(name = "{0} {1}x{2}, {3} tokens")
    @MethodSource("cases")
    void vectorScalarAndSplitPathsAreBitIdentical(DType type, int rows, int cols, int tokens) {
        QuantLinear lin = new QuantLinear(randomBlocks(type, rows, cols, 5));
        int many = tokens + PrefillKernel.TOKENS + 3;   // more than one transposed batch
        float[] x = gaussian(many * cols, 11);
        int os = lin.paddedRows();
        float[] scratch = new float[lin.scratchSize()];
        for (int n : new int[] {tokens, many}) {
            float[] batch = new float[n * os], scalar = new float[n * os], split = new float[n * os];
            lin.applyVector(x, 0, cols, n, batch, 0, os, 0, rows, scratch);
            lin.applyScalar(x, 0, cols, n, scalar, 0, os, 0, rows, scratch);
            // rows split in blocks of the SIMD width, tokens in groups of 3 (a last group of 1 joins the one before)
            for (int r0 = 0; r0 < rows; r0 += Linear.BLOCK) {
                for (int t = 0; t < n; ) {
                    int g = n - t == 1 ? 1 : n - t == 4 ? 4 : Math.min(3, n - t);
                    lin.applyVector(x, t * cols, cols, g, split, t * os, os, r0, Math.min(rows, r0 + Linear.BLOCK),
                            scratch);
                    t += g;
                }
            }
            assertThat(scalar).as("%d tokens: scalar = vector", n).containsExactly(batch);
            if (n > 1) {
                assertThat(split).as("%d tokens: split = whole", n).containsExactly(batch);
            }
        }
        float[] single = new float[tokens * os], singleScalar = new float[tokens * os];
        for (int t = 0; t < tokens; t++) {
            lin.applyVector(x, t * cols, cols, 1, single, t * os, os, 0, rows, scratch);
            lin.applyScalar(x, t * cols, cols, 1, singleScalar, t * os, os, 0, rows, scratch);
        }
        assertThat(singleScalar).as("decode: scalar = vector").containsExactly(single);
        // decode with rows split in blocks of the SIMD width (the units of a decode step's threads)
        float[] singleSplit = new float[tokens * os];
        for (int r0 = 0; r0 < rows; r0 += Linear.BLOCK) {
            for (int t = 0; t < tokens; t++) {
                lin.applyVector(x, t * cols, cols, 1, singleSplit, t * os, os, r0, Math.min(rows, r0 + Linear.BLOCK),
                        scratch);
            }
        }
        assertThat(singleSplit).as("decode: split = whole").containsExactly(single);
    }

    /**
     * The scalar cold-start paths of one token (used until C2 has compiled the vector kernels) allocate nothing per
     * call, for every fast kernel and for the reference-decoder fallback: a decode step must not allocate on them
     * either. Batches of calls are measured until one is clean (interpreted code may allocate while it warms up), but
     * a path that allocates an array per call is never clean.
     */
    @Test
    void scalarSingleTokenPathsDoNotAllocate() {
        com.sun.management.ThreadMXBean mx =
                (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        List<DType> types = new ArrayList<>(fastTypes());
        types.add(null);   // the reference decoder's path, with Q3_K rows
        float[] x = gaussian(512, 4);
        for (DType t : types) {
            DType type = t == null ? DType.Q3_K : t;
            WeightTensor w = randomBlocks(type, 16, 512, 9);
            QuantLinear lin = t == null ? new QuantLinear(w, null) : new QuantLinear(w);
            float[] out = new float[lin.paddedRows()], scratch = new float[lin.scratchSize()];
            long bytes = Long.MAX_VALUE;
            for (int batch = 0; batch < 50 && bytes > 0; batch++) {
                long before = mx.getCurrentThreadAllocatedBytes();
                for (int i = 0; i < 100; i++) {
                    lin.applyScalar(x, 0, 512, 1, out, 0, 0, 0, 16, scratch);
                }
                bytes = mx.getCurrentThreadAllocatedBytes() - before;
            }
            assertThat(bytes).as("bytes allocated by 100 scalar one-token calls, %s", t == null ? "reference" : type)
                    .isZero();
        }
    }

    /**
     * The F16 vector conversion equals Float.float16ToFloat on every one of the 65,536 bit patterns (NaN payloads
     * may differ in the quiet bit: still NaN).
     */
    @Test
    void f16ConversionCoversEveryBitPattern() {
        ByteBuffer b = ByteBuffer.allocate(2 * 65536).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < 65536; i++) {
            b.putShort(2 * i, (short) i);
        }
        MemorySegment seg = MemorySegment.ofArray(b.array());
        float[] out = new float[65536];
        HalfKernel.F16.expand(seg, 0, 65536, out, 0);
        for (int i = 0; i < 65536; i++) {
            if (Float.isNaN(Float.float16ToFloat((short) i))) {
                assertThat(out[i]).as("half 0x%04x", i).isNaN();
                continue;
            }
            assertThat(Float.floatToRawIntBits(out[i])).as("half 0x%04x", i)
                    .isEqualTo(Float.floatToRawIntBits(Float.float16ToFloat((short) i)));
        }
    }

    /** A type without a fast kernel still runs, through the reference decoder, with the same tile microkernel. */
    @Test
    void referenceDecoderFallbackMatchesFastKernel() {
        WeightTensor w = randomBlocks(DType.Q8_0, 9, 64, 3);
        QuantLinear fast = new QuantLinear(w), slow = new QuantLinear(w, null);
        assertThat(slow.hasFastKernel()).isFalse();
        float[] x = gaussian(5 * 64, 2);
        float[] a = new float[5 * fast.paddedRows()], c = new float[5 * fast.paddedRows()];
        fast.applyVector(x, 0, 64, 5, a, 0, fast.paddedRows(), 0, 9, new float[fast.scratchSize()]);
        slow.applyVector(x, 0, 64, 5, c, 0, fast.paddedRows(), 0, 9, new float[slow.scratchSize()]);
        assertThat(c).containsExactly(a);
    }
}

package dev.hyperattention4j.llm.quant;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hyperattention4j.llm.model.DType;
import dev.hyperattention4j.llm.model.WeightTensor;
import dev.hyperattention4j.llm.quantize.TensorEncoder;
import dev.hyperattention4j.llm.runtime.Dequant;
import dev.hyperattention4j.llm.testing.ReferenceBlocks;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Every quantised type's decoder against {@link ReferenceBlocks}, an independent float64 decoder written per
 * element from the layout description: random block bytes (every bit pattern of quants, sub-block scales and
 * minimums occurs), with random finite f16 scales of both signs. A layout slip (a nibble, bit or scale read from
 * the wrong place) changes whole weights, far above the tolerance, which only covers float32 rounding of a
 * product of at most three factors and one subtraction (a few ulps of the largest term).
 */
class BlockDecodersTest {
    private static final int BLOCKS = 64;

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "F16", "BF16"}, mode = EnumSource.Mode.EXCLUDE)
    void decodersMatchTheFloat64Reference(DType type) {
        byte[] bytes = randomBlocks(type, BLOCKS, new SplittableRandom(type.ordinal()));
        double[] expected = ReferenceBlocks.decode(bytes, type, BLOCKS);
        float[] actual = new float[BLOCKS * type.blockSize() + 3];
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment native_ = arena.allocate(bytes.length + 5);
            MemorySegment.copy(bytes, 0, native_, ValueLayout.JAVA_BYTE, 5, bytes.length);
            // through the row decoder, at an odd byte offset of a native segment and an odd float offset
            Dequant.decode(native_, type, 5, BLOCKS * type.blockSize(), actual, 3);
        }
        float[] perBlock = new float[type.blockSize()];
        for (int b = 0; b < BLOCKS; b++) {
            Dequant.block(MemorySegment.ofArray(bytes), type, (long) b * type.blockBytes(), perBlock, 0);
            double blockScale = 0;
            for (int i = 0; i < type.blockSize(); i++) {
                blockScale = Math.max(blockScale, Math.abs(expected[b * type.blockSize() + i]));
            }
            for (int i = 0; i < type.blockSize(); i++) {
                int e = b * type.blockSize() + i;
                double tolerance = 4e-7 * blockScale + 1e-30;
                assertThat((double) actual[3 + e]).as("%s block %d weight %d", type, b, i)
                        .isCloseTo(expected[e], org.assertj.core.data.Offset.offset(tolerance));
                assertThat(perBlock[i]).isEqualTo(actual[3 + e]);
            }
        }
    }

    /** A whole tensor through Dequant.row: rows of several blocks, every row in its place. */
    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "F16", "BF16"}, mode = EnumSource.Mode.EXCLUDE)
    void rowsDecodeInPlace(DType type) {
        int rows = 5, cols = 3 * type.blockSize();
        byte[] bytes = randomBlocks(type, rows * 3, new SplittableRandom(17 + type.ordinal()));
        double[] expected = ReferenceBlocks.decode(bytes, type, rows * 3);
        WeightTensor t = new WeightTensor("w", type, new long[] {rows, cols}, MemorySegment.ofArray(bytes));
        float[] row = new float[cols];
        for (int r = rows - 1; r >= 0; r--) {
            Dequant.row(t, r, row, 0);
            for (int c = 0; c < cols; c += 7) {
                assertThat((double) row[c]).isCloseTo(expected[r * cols + c],
                        org.assertj.core.data.Offset.offset(1e-6 * Math.abs(expected[r * cols + c]) + 1e-6));
            }
        }
    }

    /**
     * Encoders round-trip Gaussian weights with an error of the size each format's bits allow: the RMS error
     * relative to the weights' RMS is below a per-type bound (about half a quantisation step of a block spanning
     * ±3σ) and far below 1 (a misplaced field gives errors of the size of the weights).
     */
    @ParameterizedTest
    @EnumSource(value = DType.class)
    void encodersRoundTripWithinTheirPrecision(DType type) {
        SplittableRandom r = new SplittableRandom(3);
        float[] x = new float[16 * 256];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (r.nextDouble() < 0.01 ? 4 * (r.nextDouble() - 0.5) : gaussian(r) * 0.3);
        }
        byte[] bytes = TensorEncoder.encode(x, type);
        float[] back = new float[x.length];
        Dequant.decode(MemorySegment.ofArray(bytes), type, 0, x.length, back, 0);
        double err = 0, norm = 0;
        for (int i = 0; i < x.length; i++) {
            err += (back[i] - x[i]) * (back[i] - x[i]);
            norm += x[i] * x[i];
        }
        double relative = Math.sqrt(err / norm);
        double bound = switch (type) {
            case F32 -> 0;
            case F16 -> 1e-3;
            case BF16 -> 4e-3;
            case Q8_0 -> 0.01;
            case Q6_K -> 0.03;
            case Q5_0, Q5_1, Q5_K -> 0.06;
            case Q4_0, Q4_1, Q4_K -> 0.12;
            case Q3_K -> 0.25;
            case Q2_K -> 0.5;
        };
        assertThat(relative).as("%s relative RMS error", type).isLessThanOrEqualTo(bound);
    }

    /** A block of zeros encodes to zeros in every type (no division by a zero scale). */
    @ParameterizedTest
    @EnumSource(value = DType.class)
    void zeroBlocksStayZero(DType type) {
        float[] x = new float[256];
        float[] back = new float[256];
        Dequant.decode(MemorySegment.ofArray(TensorEncoder.encode(x, type)), type, 0, 256, back, 0);
        for (float v : back) {
            assertThat(v == 0f).as("%s decodes a zero block to zeros (±0), got %s", type, v).isTrue();
        }
    }

    private static double gaussian(SplittableRandom r) {
        return Math.sqrt(-2 * Math.log(1 - r.nextDouble())) * Math.cos(2 * Math.PI * r.nextDouble());
    }

    /** Random bytes with every f16 scale field replaced by a random finite value in ±[2^-14, 2). */
    static byte[] randomBlocks(DType type, int blocks, SplittableRandom r) {
        byte[] b = new byte[blocks * type.blockBytes()];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) r.nextInt(256);
        }
        for (int k = 0; k < blocks; k++) {
            for (int offset : type.scaleOffsets()) {
                float v = (float) ((r.nextBoolean() ? 1 : -1) * Math.pow(2, -14 + 15 * r.nextDouble()));
                short h = Float.floatToFloat16(v);
                b[k * type.blockBytes() + offset] = (byte) h;
                b[k * type.blockBytes() + offset + 1] = (byte) (h >>> 8);
            }
        }
        return b;
    }

}

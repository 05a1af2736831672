package dev.hyperattention4j.llm.runtime;

import dev.hyperattention4j.llm.quant.BlockQ3K;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Q3_K: super-blocks of 256 weights in 110 bytes = 32 bytes of high bits (hmask), 64 bytes of 2 low bits (qs), 12
 * bytes of sixteen 6-bit scales, f16 d; no minimum. Sub-block j covers columns 16j .. 16j + 15. Group g of a row
 * (g = 2b + h: super-block b, half h) is the 32 bytes qs[32h ..]: its half lh (16 bytes) holds in bits 2s, 2s + 1
 * (s = 0..3) the low bits of sub-block 8h + 2s + lh, whose high bits are bit 4h + s of hmask[16lh ..+ 16]; the group
 * covers columns 128g .. 128g + 127. q = low | high·4 − 4 (−4..3); weight = (d·scale)·q, as the reference decoder
 * computes it ({@link BlockQ3K}).
 */
final class Q3_KKernel extends BlockKernel {
    static final Q3_KKernel INSTANCE = new Q3_KKernel();
    private static final int BYTES = 110;
    private static final VectorSpecies<Integer> INTS = VectorSpecies.of(int.class, S.vectorShape());
    /**
     * The scales are unpacked from the 16 bytes at p + 94 (the last 2 quant bytes, the 12 scale bytes, d: a load that
     * stays inside the block), in loop order: position 8h + 4lh + s holds scale j = 8h + 2s + lh, whose low 4 bits
     * are those of byte j (j &lt; 8) or the high ones of byte j − 8, and whose high 2 bits are bits 2(j / 4) of byte
     * 8 + j % 4 (byte indices of the 12 scale bytes, 2 more in the load).
     */
    private static final VectorShuffle<Byte> LOW_BYTE, HIGH_BYTE;
    private static final int[] LOW_SHIFT = new int[16], HIGH_SHIFT = new int[16];

    static {
        int[] low = new int[16], high = new int[16];
        for (int pos = 0; pos < 16; pos++) {
            int j = 8 * (pos >> 3) + 2 * (pos & 3) + (pos >> 2 & 1);
            low[pos] = 2 + (j < 8 ? j : j - 8);
            LOW_SHIFT[pos] = j < 8 ? 0 : 4;
            high[pos] = 2 + 8 + j % 4;
            HIGH_SHIFT[pos] = 2 * (j / 4);
        }
        LOW_BYTE = VectorShuffle.fromArray(B16, low, 0);
        HIGH_BYTE = VectorShuffle.fromArray(B16, high, 0);
    }

    @Override
    void expand(MemorySegment w, long row, int cols, float[] dst, int off) {
        for (int b = 0; b < cols / 256; b++) {
            long p = row + (long) BYTES * b;
            float d = half(w, p + 108);
            for (int c = 0; c < 4; c++) {
                int h = c >> 1, lh = c & 1;
                ByteVector q = ByteVector.fromMemorySegment(B16, w, p + 32 + 16 * c, LE);
                ByteVector hm = ByteVector.fromMemorySegment(B16, w, p + 16 * lh, LE);
                for (int s = 0; s < 4; s++) {
                    int sub = 8 * h + 2 * s + lh;
                    float dl = d * BlockQ3K.scale(w, p, sub);
                    for (int j = 0; j < PARTS; j++) {
                        IntVector qi = (IntVector) q.convertShape(VectorOperators.ZERO_EXTEND_B2I, INTS, j);
                        IntVector hi = (IntVector) hm.convertShape(VectorOperators.ZERO_EXTEND_B2I, INTS, j);
                        IntVector high = hi.lanewise(VectorOperators.LSHR, 4 * h + s).and(1);
                        IntVector v = qi.lanewise(VectorOperators.LSHR, 2 * s).and(3)
                                .or(high.lanewise(VectorOperators.LSHL, 2)).sub(4);
                        ((FloatVector) v.convert(VectorOperators.I2F, 0)).mul(dl)
                                .intoArray(dst, off + 256 * b + 16 * sub + W * j);
                    }
                }
            }
        }
    }

    @Override
    void expandScalar(MemorySegment w, long row, int cols, float[] dst, int off) {
        for (int b = 0; b < cols / 256; b++) {
            long p = row + (long) BYTES * b;
            float d = half(w, p + 108);
            for (int sub = 0; sub < 16; sub++) {
                int h = sub >> 3, s = (sub >> 1) & 3, lh = sub & 1;
                float dl = d * BlockQ3K.scale(w, p, sub);
                for (int i = 0; i < 16; i++) {
                    int low = (w.get(I8, p + 32 + 32 * h + 16 * lh + i) & 0xff) >>> 2 * s & 3;
                    int high = (w.get(I8, p + 16 * lh + i) & 0xff) >>> 4 * h + s & 1;
                    dst[off + 256 * b + 16 * sub + i] = dl * ((low | high << 2) - 4);
                }
            }
        }
    }

    /** Room for the row's scales times d, in loop order (cols / 16 floats), which {@link #single} fills. */
    @Override
    int prepared(int cols) {
        return cols / 16;
    }

    /**
     * Decode order: a sub-block's part of the dot is (d·scale)·Σ q·x. First the row's scales are unpacked with vector
     * code ({@link #unpack}) into scratch in loop order. Then one flat loop over the row's groups of 32 quant bytes (x
     * index 128g: linear, so C2 drops the bounds checks on x): per half lh, the 16 quant bytes and the 16 hmask bytes
     * are widened to ints once and give the four sub-blocks' t_s = Σ q·x lane-wise (fma chains from zero in column
     * order, W lanes at a time), then a_s = fma(t_s, d·scale, a_s); the lanes end as (a0 + a1) + (a2 + a3). The high
     * bit of sub-block s, times 4, is a shift and an and of the hmask ints moved down by 4h. No vector crosses a call
     * (docs/QUANT-KERNELS.md).
     */
    @Override
    void single(MemorySegment w, long row, float[] x, int xOff, int cols, float[] lanes, int laneOff) {
        int blocks = cols / 256, sc0 = LANES;
        for (int b = 0; b < blocks; b++) {
            unpack(w, row + (long) BYTES * b, lanes, sc0 + 16 * b);
        }
        FloatVector zero = FloatVector.zero(S), a0 = zero, a1 = zero, a2 = zero, a3 = zero;
        for (int g = 0; g < 2 * blocks; g++) {
            long p = row + (long) BYTES * (g >> 1);
            int k = xOff + 128 * g, down = 4 * (g & 1);
            for (int lh = 0; lh < 2; lh++) {
                ByteVector q = ByteVector.fromMemorySegment(B16, w, p + 32 + 32 * (g & 1) + 16 * lh, LE);
                ByteVector hm = ByteVector.fromMemorySegment(B16, w, p + 16 * lh, LE);
                FloatVector t0 = zero, t1 = zero, t2 = zero, t3 = zero;
                for (int j = 0; j < PARTS; j++) {
                    IntVector qi = (IntVector) q.convertShape(VectorOperators.ZERO_EXTEND_B2I, INTS, j);
                    IntVector hi = ((IntVector) hm.convertShape(VectorOperators.ZERO_EXTEND_B2I, INTS, j))
                            .lanewise(VectorOperators.LSHR, down);
                    int o = k + 16 * lh + W * j;
                    IntVector v0 = qi.and(3).or(hi.lanewise(VectorOperators.LSHL, 2).and(4)).sub(4);
                    IntVector v1 = qi.lanewise(VectorOperators.LSHR, 2).and(3)
                            .or(hi.lanewise(VectorOperators.LSHL, 1).and(4)).sub(4);
                    IntVector v2 = qi.lanewise(VectorOperators.LSHR, 4).and(3).or(hi.and(4)).sub(4);
                    IntVector v3 = qi.lanewise(VectorOperators.LSHR, 6)
                            .or(hi.lanewise(VectorOperators.LSHR, 1).and(4)).sub(4);
                    t0 = ((FloatVector) v0.convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(S, x, o), t0);
                    t1 = ((FloatVector) v1.convert(VectorOperators.I2F, 0))
                            .fma(FloatVector.fromArray(S, x, o + 32), t1);
                    t2 = ((FloatVector) v2.convert(VectorOperators.I2F, 0))
                            .fma(FloatVector.fromArray(S, x, o + 64), t2);
                    t3 = ((FloatVector) v3.convert(VectorOperators.I2F, 0))
                            .fma(FloatVector.fromArray(S, x, o + 96), t3);
                }
                int sc = sc0 + 8 * g + 4 * lh;
                a0 = t0.fma(FloatVector.broadcast(S, lanes[sc]), a0);
                a1 = t1.fma(FloatVector.broadcast(S, lanes[sc + 1]), a1);
                a2 = t2.fma(FloatVector.broadcast(S, lanes[sc + 2]), a2);
                a3 = t3.fma(FloatVector.broadcast(S, lanes[sc + 3]), a3);
            }
        }
        a0.add(a1).add(a2.add(a3)).intoArray(lanes, laneOff);
    }

    /** The block's 16 scales times d, in loop order, to {@code lanes[sc ..+ 16)}, with vector code. */
    static void unpack(MemorySegment w, long p, float[] lanes, int sc) {
        ByteVector packed = ByteVector.fromMemorySegment(B16, w, p + 94, LE);
        ByteVector lo = packed.rearrange(LOW_BYTE), hi = packed.rearrange(HIGH_BYTE);
        float d = half(w, p + 108);
        for (int j = 0; j < PARTS; j++) {
            IntVector l = (IntVector) lo.convertShape(VectorOperators.ZERO_EXTEND_B2I, INTS, j);
            IntVector h = (IntVector) hi.convertShape(VectorOperators.ZERO_EXTEND_B2I, INTS, j);
            IntVector v = l.lanewise(VectorOperators.LSHR, IntVector.fromArray(INTS, LOW_SHIFT, W * j)).and(15)
                    .or(h.lanewise(VectorOperators.LSHR, IntVector.fromArray(INTS, HIGH_SHIFT, W * j)).and(3)
                            .lanewise(VectorOperators.LSHL, 4))
                    .sub(32);
            ((FloatVector) v.convert(VectorOperators.I2F, 0)).mul(d).intoArray(lanes, sc + W * j);
        }
    }

    /** {@link #single} and the lane sum with scalar code, lane by lane: the same bits. */
    @Override
    float dotScalar(MemorySegment w, long row, float[] x, int xOff, int cols, float[] scratch) {
        int blocks = cols / 256;
        for (int l = 0; l < W; l++) {
            float a0 = 0f, a1 = 0f, a2 = 0f, a3 = 0f;
            for (int g = 0; g < 2 * blocks; g++) {
                long p = row + (long) BYTES * (g >> 1);
                float d = half(w, p + 108);
                int k = xOff + 128 * g, h = g & 1;
                for (int lh = 0; lh < 2; lh++) {
                    float t0 = 0f, t1 = 0f, t2 = 0f, t3 = 0f;
                    for (int i = l; i < 16; i += W) {
                        int q = w.get(I8, p + 32 + 32 * h + 16 * lh + i) & 0xff;
                        int hb = (w.get(I8, p + 16 * lh + i) & 0xff) >>> 4 * h, o = k + 16 * lh + i;
                        t0 = Math.fma((float) (((q & 3) | (hb << 2 & 4)) - 4), x[o], t0);
                        t1 = Math.fma((float) (((q >>> 2 & 3) | (hb << 1 & 4)) - 4), x[o + 32], t1);
                        t2 = Math.fma((float) (((q >>> 4 & 3) | (hb & 4)) - 4), x[o + 64], t2);
                        t3 = Math.fma((float) (((q >>> 6) | (hb >>> 1 & 4)) - 4), x[o + 96], t3);
                    }
                    // sub-block 8h + 2s + lh
                    int sub = 8 * h + lh;
                    a0 = Math.fma(t0, (float) BlockQ3K.scale(w, p, sub) * d, a0);
                    a1 = Math.fma(t1, (float) BlockQ3K.scale(w, p, sub + 2) * d, a1);
                    a2 = Math.fma(t2, (float) BlockQ3K.scale(w, p, sub + 4) * d, a2);
                    a3 = Math.fma(t3, (float) BlockQ3K.scale(w, p, sub + 6) * d, a3);
                }
            }
            scratch[l] = (a0 + a1) + (a2 + a3);
        }
        return Vectors.sumLanes(scratch, 0);
    }
}

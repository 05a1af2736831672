package dev.hyperattention4j.llm.runtime;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Q5_K: Q4_K's super-block (f16 d and dmin, twelve bytes of 6-bit scales and mins) plus 32 bytes of fifth bits
 * (qh) before the 128 bytes of nibbles: weight 64g + 32·half + l takes the low or high nibble of qs[32g + l] and bit
 * 2g + half of qh[l]; weight = (d·scale)·q − dmin·min. Single tokens: {@link #single}, Q4_K's decode with the
 * fifth bits added.
 */
final class Q5_KKernel extends BlockKernel {
    static final Q5_KKernel INSTANCE = new Q5_KKernel();
    private static final int BYTES = 176;
    private static final VectorSpecies<Integer> INTS = VectorSpecies.of(int.class, S.vectorShape());

    @Override
    void expand(MemorySegment w, long row, int cols, float[] dst, int off) {
        for (int b = 0; b < cols / 256; b++) {
            long p = row + (long) BYTES * b;
            float d = half(w, p), dmin = half(w, p + 2);
            for (int g = 0; g < 4; g++) {
                int o = off + 256 * b + 64 * g;
                float dl = d * Q4_KKernel.sixBits(w, p, 4 * g), ml = dmin * Q4_KKernel.sixBits(w, p, 4 * g + 1);
                float dh = d * Q4_KKernel.sixBits(w, p, 4 * g + 2), mh = dmin * Q4_KKernel.sixBits(w, p, 4 * g + 3);
                for (int h = 0; h < 2; h++) {
                    ByteVector q = ByteVector.fromMemorySegment(B16, w, p + 48 + 32 * g + 16 * h, LE);
                    ByteVector e = ByteVector.fromMemorySegment(B16, w, p + 16 + 16 * h, LE);
                    for (int j = 0; j < PARTS; j++) {
                        IntVector qi = (IntVector) q.convertShape(VectorOperators.B2I, INTS, j);
                        IntVector hi = (IntVector) e.convertShape(VectorOperators.B2I, INTS, j);
                        // fifth bits 2g and 2g + 1 of each lane as 16 or 0, written out here: no vector crosses a call
                        IntVector lo = qi.and(15)
                                .or(hi.lanewise(VectorOperators.ASHR, 2 * g).and(1).lanewise(VectorOperators.LSHL, 4));
                        IntVector up = qi.lanewise(VectorOperators.ASHR, 4).and(15).or(
                                hi.lanewise(VectorOperators.ASHR, 2 * g + 1).and(1).lanewise(VectorOperators.LSHL, 4));
                        ((FloatVector) lo.convert(VectorOperators.I2F, 0)).mul(dl).sub(ml)
                                .intoArray(dst, o + 16 * h + W * j);
                        ((FloatVector) up.convert(VectorOperators.I2F, 0)).mul(dh).sub(mh)
                                .intoArray(dst, o + 32 + 16 * h + W * j);
                    }
                }
            }
        }
    }

    @Override
    void expandScalar(MemorySegment w, long row, int cols, float[] dst, int off) {
        for (int b = 0; b < cols / 256; b++) {
            long p = row + (long) BYTES * b;
            float d = half(w, p), dmin = half(w, p + 2);
            for (int g = 0; g < 4; g++) {
                int o = off + 256 * b + 64 * g;
                float dl = d * Q4_KKernel.sixBits(w, p, 4 * g), ml = dmin * Q4_KKernel.sixBits(w, p, 4 * g + 1);
                float dh = d * Q4_KKernel.sixBits(w, p, 4 * g + 2), mh = dmin * Q4_KKernel.sixBits(w, p, 4 * g + 3);
                for (int l = 0; l < 32; l++) {
                    int q = w.get(I8, p + 48 + 32 * g + l) & 0xff, e = w.get(I8, p + 16 + l) & 0xff;
                    int lo = (q & 15) | (e >>> 2 * g & 1) << 4, up = (q >>> 4) | (e >>> 2 * g + 1 & 1) << 4;
                    dst[o + l] = (float) lo * dl - ml;
                    dst[o + 32 + l] = (float) up * dh - mh;
                }
            }
        }
    }

    /** Q4_K's: the sub-block sums of x, then room for the row's unpacked scales. */
    @Override
    int prepared(int cols) {
        return Q4_KKernel.sumsAndScales(cols);
    }

    @Override
    void prepare(float[] x, int xOff, int cols, float[] scratch) {
        Q4_KKernel.sums(x, xOff, cols, scratch);
    }

    @Override
    void prepareScalar(float[] x, int xOff, int cols, float[] scratch) {
        Q4_KKernel.sumsScalar(x, xOff, cols, scratch);
    }

    /**
     * Decode order: Q4_K's ({@link Q4_KKernel#single}), with q = nibble | fifth bit · 16. The scales and mins of every
     * super-block are unpacked first (same layout as Q4_K's), the min terms summed into m; then one flat loop over the
     * row's groups of 32 quant bytes: lo = Σ q·x over sub-block 2g and hi over 2g + 1, lane-wise (fma chains from
     * zero in column order), a0 = fma(lo, d·scale(2g), a0), a1 = fma(hi, d·scale(2g + 1), a1); the lanes end as
     * (a0 + a1) − m. The fifth bits of group g are bits 2g' and 2g' + 1 (g' = g mod 4) of the super-block's 32 qh
     * bytes, moved to bit 4 by one shift left by 4 and one shift right by the bit's index. No vector crosses a call.
     */
    @Override
    void single(MemorySegment w, long row, float[] x, int xOff, int cols, float[] lanes, int laneOff) {
        int blocks = cols / 256, s0 = LANES + 16 * blocks;
        for (int b = 0; b < blocks; b++) {
            Q4_KKernel.unpack(w, row + (long) BYTES * b, lanes, s0 + 16 * b);
        }
        FloatVector zero = FloatVector.zero(S), a0 = zero, a1 = zero, m = zero;
        for (int i = 0; i < 16 * blocks; i += W) {
            m = FloatVector.fromArray(S, lanes, s0 + i).fma(FloatVector.fromArray(S, lanes, LANES + i), m);
        }
        for (int g = 0; g < 4 * blocks; g++) {
            long p = row + (long) BYTES * (g >> 2);
            int bit = 2 * (g & 3), k = xOff + 64 * g;
            FloatVector lo = zero, hi = zero;
            for (int h = 0; h < 2; h++) {
                ByteVector q = ByteVector.fromMemorySegment(B16, w, p + 48 + 32 * (g & 3) + 16 * h, LE);
                ByteVector e = ByteVector.fromMemorySegment(B16, w, p + 16 + 16 * h, LE);
                for (int j = 0; j < PARTS; j++) {
                    IntVector qi = (IntVector) q.convertShape(VectorOperators.ZERO_EXTEND_B2I, INTS, j);
                    IntVector e4 = ((IntVector) e.convertShape(VectorOperators.ZERO_EXTEND_B2I, INTS, j))
                            .lanewise(VectorOperators.LSHL, 4);
                    IntVector ql = qi.and(15).or(e4.lanewise(VectorOperators.LSHR, bit).and(16));
                    IntVector qu = qi.lanewise(VectorOperators.LSHR, 4)
                            .or(e4.lanewise(VectorOperators.LSHR, bit + 1).and(16));
                    int o = k + 16 * h + W * j;
                    lo = ((FloatVector) ql.convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(S, x, o), lo);
                    hi = ((FloatVector) qu.convert(VectorOperators.I2F, 0))
                            .fma(FloatVector.fromArray(S, x, o + 32), hi);
                }
            }
            a0 = lo.fma(FloatVector.broadcast(S, lanes[s0 + 4 * g]), a0);
            a1 = hi.fma(FloatVector.broadcast(S, lanes[s0 + 4 * g + 2]), a1);
        }
        a0.add(a1).sub(m).intoArray(lanes, laneOff);
    }

    /** {@link #single} and the lane sum with scalar code, lane by lane: the same bits. */
    @Override
    float dotScalar(MemorySegment w, long row, float[] x, int xOff, int cols, float[] scratch) {
        int sm = 4 * W;
        for (int l = 0; l < W; l++) {
            float a0 = 0f, a1 = 0f, m = 0f;
            for (int b = 0; b < cols / 256; b++) {
                long p = row + (long) BYTES * b;
                Q4_KKernel.scales(w, p, half(w, p), half(w, p + 2), scratch, sm);
                for (int j = l; j < 16; j += W) {
                    m = Math.fma(scratch[sm + j], scratch[LANES + 16 * b + j], m);
                }
                for (int g = 0; g < 4; g++) {
                    float lo = 0f, hi = 0f;
                    for (int i = l; i < 32; i += W) {
                        int q = w.get(I8, p + 48 + 32 * g + i) & 0xff, e = w.get(I8, p + 16 + i) & 0xff;
                        int k = xOff + 256 * b + 64 * g + i;
                        lo = Math.fma((float) ((q & 15) | (e >>> 2 * g & 1) << 4), x[k], lo);
                        hi = Math.fma((float) ((q >>> 4) | (e >>> 2 * g + 1 & 1) << 4), x[k + 32], hi);
                    }
                    a0 = Math.fma(lo, scratch[sm + 4 * g], a0);
                    a1 = Math.fma(hi, scratch[sm + 4 * g + 2], a1);
                }
            }
            scratch[l] = (a0 + a1) - m;
        }
        return Vectors.sumLanes(scratch, 0);
    }
}

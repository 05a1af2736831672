package dev.hyperattention4j.llm.runtime;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorSpecies;
import jdk.incubator.vector.VectorOperators;

/**
 * Q6_K: super-blocks of 256 = 128 bytes of low 4 bits (ql), 64 bytes of high 2 bits (qh), 16 int8 scales, f16 d.
 * Each half (128 weights) uses 64 ql bytes, 32 qh bytes and 8 scales; its weight 32j + l (j = 0..3, l = 0..31)
 * takes the low nibble of ql[l] (j = 0) or ql[l + 32] (j = 1), the high nibble of ql[l] (j = 2) or ql[l + 32]
 * (j = 3), and bits 2j, 2j + 1 of qh[l] as bits 4, 5; minus 32, times d·scale[2j + l/16].
 */
final class Q6_KKernel extends BlockKernel {
    static final Q6_KKernel INSTANCE = new Q6_KKernel();
    private static final int BYTES = 210;
    private static final VectorSpecies<Integer> INTS = VectorSpecies.of(int.class, S.vectorShape());
    /** A half's 64 ql bytes and 32 qh bytes (used when {@link #W} is 16). */
    private static final VectorSpecies<Byte> B64 = ByteVector.SPECIES_512, B32 = ByteVector.SPECIES_256;

    @Override
    void expand(MemorySegment w, long row, int cols, float[] dst, int off) {
        for (int b = 0; b < cols / 256; b++) {
            long p = row + (long) BYTES * b;
            float d = half(w, p + 208);
            for (int n = 0; n < 2; n++) {
                long ql = p + 64 * n, qh = p + 128 + 32 * n, sc = p + 192 + 8 * n;
                for (int h = 0; h < 2; h++) {
                    // the 16 bytes of ql[l], ql[l + 32] and qh[l] widened to ints once; the four quants are cut
                    // from the ints (x86 has no byte shifts)
                    ByteVector a = ByteVector.fromMemorySegment(B16, w, ql + 16 * h, LE);
                    ByteVector c = ByteVector.fromMemorySegment(B16, w, ql + 32 + 16 * h, LE);
                    ByteVector e = ByteVector.fromMemorySegment(B16, w, qh + 16 * h, LE);
                    float d0 = d * w.get(I8, sc + h), d1 = d * w.get(I8, sc + 2 + h);
                    float d2 = d * w.get(I8, sc + 4 + h), d3 = d * w.get(I8, sc + 6 + h);
                    int o = off + 256 * b + 128 * n + 16 * h;
                    for (int j = 0; j < PARTS; j++) {
                        IntVector ai = (IntVector) a.convertShape(VectorOperators.B2I, INTS, j);
                        IntVector ci = (IntVector) c.convertShape(VectorOperators.B2I, INTS, j);
                        IntVector hi = (IntVector) e.convertShape(VectorOperators.B2I, INTS, j);
                        IntVector q0 = ai.and(0x0f).or(hi.and(3).lanewise(VectorOperators.LSHL, 4)).sub(32);
                        IntVector q1 = ci.and(0x0f).or(hi.and(0x0c).lanewise(VectorOperators.LSHL, 2)).sub(32);
                        IntVector q2 = ai.lanewise(VectorOperators.ASHR, 4).and(0x0f).or(hi.and(0x30)).sub(32);
                        IntVector q3 = ci.lanewise(VectorOperators.ASHR, 4).and(0x0f)
                                .or(hi.lanewise(VectorOperators.ASHR, 2).and(0x30)).sub(32);
                        ((FloatVector) q0.convert(VectorOperators.I2F, 0)).mul(d0).intoArray(dst, o + W * j);
                        ((FloatVector) q1.convert(VectorOperators.I2F, 0)).mul(d1).intoArray(dst, o + 32 + W * j);
                        ((FloatVector) q2.convert(VectorOperators.I2F, 0)).mul(d2).intoArray(dst, o + 64 + W * j);
                        ((FloatVector) q3.convert(VectorOperators.I2F, 0)).mul(d3).intoArray(dst, o + 96 + W * j);
                    }
                }
            }
        }
    }

    /** Quant j (0..3, unsigned 6 bits) from the bytes a = ql[l], c = ql[l + 32] and h = qh[l]. */
    private static int quant(int a, int c, int h, int j) {
        return switch (j) {
            case 0 -> (a & 0x0f) | (h & 3) << 4;
            case 1 -> (c & 0x0f) | (h >>> 2 & 3) << 4;
            case 2 -> (a >>> 4) | (h >>> 4 & 3) << 4;
            default -> (c >>> 4) | (h >>> 6 & 3) << 4;
        };
    }

    @Override
    void expandScalar(MemorySegment w, long row, int cols, float[] dst, int off) {
        for (int b = 0; b < cols / 256; b++) {
            long p = row + (long) BYTES * b;
            float d = half(w, p + 208);
            for (int n = 0; n < 2; n++) {
                long ql = p + 64 * n, qh = p + 128 + 32 * n, sc = p + 192 + 8 * n;
                for (int l = 0; l < 32; l++) {
                    int a = w.get(I8, ql + l) & 0xff, c = w.get(I8, ql + 32 + l) & 0xff, h = w.get(I8, qh + l) & 0xff;
                    for (int j = 0; j < 4; j++) {
                        float ds = d * w.get(I8, sc + 2 * j + l / 16);
                        dst[off + 256 * b + 128 * n + 32 * j + l] = (float) (quant(a, c, h, j) - 32) * ds;
                    }
                }
            }
        }
    }

    /**
     * Decode order: a weight is (q − 32)·(d·scale), as the tile holds it; per group of 16 bytes of ql the four quants
     * j = 0..3 (columns 32j apart) feed four accumulators (four independent FMA chains), added as
     * (acc0 + acc1) + (acc2 + acc3) at the end. The group's decoding appears once, in a loop, so C2 inlines it whole.
     * The 32 is subtracted after the conversion to float (exact, so the same value as the integer q − 32; a float
     * subtraction measured faster than the integer one). At 512 bits a half's bytes come in one 64-byte and one
     * 32-byte load (same operations, same order; fewer segment loads and bounds checks).
     */
    @Override
    void single(MemorySegment w, long row, float[] x, int xOff, int cols, float[] lanes, int laneOff) {
        FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
        if (W == 16) {
            // 512 bits: per half one 64-byte load of ql (parts h and 2 + h are ql[l] and ql[l + 32]) and one 32-byte
            // load of qh, instead of three 16-byte loads (and bounds checks) per group: the same operations in the
            // same order as the loop below
            for (int b = 0; b < cols / 256; b++) {
                long p = row + (long) BYTES * b;
                float d = half(w, p + 208);
                for (int n = 0; n < 2; n++) {
                    ByteVector ql = ByteVector.fromMemorySegment(B64, w, p + 64 * n, LE);
                    ByteVector qh = ByteVector.fromMemorySegment(B32, w, p + 128 + 32 * n, LE);
                    for (int h = 0; h < 2; h++) {
                        long sc = p + 192 + 8 * n + h;
                        float d0 = d * w.get(I8, sc), d1 = d * w.get(I8, sc + 2);
                        float d2 = d * w.get(I8, sc + 4), d3 = d * w.get(I8, sc + 6);
                        IntVector ai = (IntVector) ql.convertShape(VectorOperators.ZERO_EXTEND_B2I, INTS, h);
                        IntVector ci = (IntVector) ql.convertShape(VectorOperators.ZERO_EXTEND_B2I, INTS, 2 + h);
                        IntVector hi = (IntVector) qh.convertShape(VectorOperators.ZERO_EXTEND_B2I, INTS, h);
                        IntVector q0 = ai.and(0x0f).or(hi.and(3).lanewise(VectorOperators.LSHL, 4));
                        IntVector q1 = ci.and(0x0f).or(hi.and(0x0c).lanewise(VectorOperators.LSHL, 2));
                        IntVector q2 = ai.lanewise(VectorOperators.LSHR, 4).or(hi.and(0x30));
                        IntVector q3 = ci.lanewise(VectorOperators.LSHR, 4)
                                .or(hi.lanewise(VectorOperators.LSHR, 2).and(0x30));
                        int o = xOff + 256 * b + 128 * n + 16 * h;
                        a0 = ((FloatVector) q0.convert(VectorOperators.I2F, 0)).sub(32f).mul(d0)
                                .fma(FloatVector.fromArray(S, x, o), a0);
                        a1 = ((FloatVector) q1.convert(VectorOperators.I2F, 0)).sub(32f).mul(d1)
                                .fma(FloatVector.fromArray(S, x, o + 32), a1);
                        a2 = ((FloatVector) q2.convert(VectorOperators.I2F, 0)).sub(32f).mul(d2)
                                .fma(FloatVector.fromArray(S, x, o + 64), a2);
                        a3 = ((FloatVector) q3.convert(VectorOperators.I2F, 0)).sub(32f).mul(d3)
                                .fma(FloatVector.fromArray(S, x, o + 96), a3);
                    }
                }
            }
            a0.add(a1).add(a2.add(a3)).intoArray(lanes, laneOff);
            return;
        }
        for (int b = 0; b < cols / 256; b++) {
            long p = row + (long) BYTES * b;
            float d = half(w, p + 208);
            for (int nh = 0; nh < 4; nh++) {
                int n = nh >> 1, h = nh & 1;
                long ql = p + 64 * n + 16 * h, sc = p + 192 + 8 * n + h;
                ByteVector a = ByteVector.fromMemorySegment(B16, w, ql, LE);
                ByteVector c = ByteVector.fromMemorySegment(B16, w, ql + 32, LE);
                ByteVector e = ByteVector.fromMemorySegment(B16, w, p + 128 + 32 * n + 16 * h, LE);
                float d0 = d * w.get(I8, sc), d1 = d * w.get(I8, sc + 2);
                float d2 = d * w.get(I8, sc + 4), d3 = d * w.get(I8, sc + 6);
                int k = xOff + 256 * b + 128 * n + 16 * h;
                for (int j = 0; j < PARTS; j++) {
                    IntVector ai = (IntVector) a.convertShape(VectorOperators.ZERO_EXTEND_B2I, INTS, j);
                    IntVector ci = (IntVector) c.convertShape(VectorOperators.ZERO_EXTEND_B2I, INTS, j);
                    IntVector hi = (IntVector) e.convertShape(VectorOperators.ZERO_EXTEND_B2I, INTS, j);
                    IntVector q0 = ai.and(0x0f).or(hi.and(3).lanewise(VectorOperators.LSHL, 4));
                    IntVector q1 = ci.and(0x0f).or(hi.and(0x0c).lanewise(VectorOperators.LSHL, 2));
                    IntVector q2 = ai.lanewise(VectorOperators.LSHR, 4).or(hi.and(0x30));
                    IntVector q3 = ci.lanewise(VectorOperators.LSHR, 4)
                            .or(hi.lanewise(VectorOperators.LSHR, 2).and(0x30));
                    int o = k + W * j;
                    a0 = ((FloatVector) q0.convert(VectorOperators.I2F, 0)).sub(32f).mul(d0)
                            .fma(FloatVector.fromArray(S, x, o), a0);
                    a1 = ((FloatVector) q1.convert(VectorOperators.I2F, 0)).sub(32f).mul(d1)
                            .fma(FloatVector.fromArray(S, x, o + 32), a1);
                    a2 = ((FloatVector) q2.convert(VectorOperators.I2F, 0)).sub(32f).mul(d2)
                            .fma(FloatVector.fromArray(S, x, o + 64), a2);
                    a3 = ((FloatVector) q3.convert(VectorOperators.I2F, 0)).sub(32f).mul(d3)
                            .fma(FloatVector.fromArray(S, x, o + 96), a3);
                }
            }
        }
        a0.add(a1).add(a2.add(a3)).intoArray(lanes, laneOff);
    }

    /** {@link #single} and the lane sum with scalar code, lane by lane: the same bits. */
    @Override
    float dotScalar(MemorySegment w, long row, float[] x, int xOff, int cols, float[] scratch) {
        for (int l = 0; l < W; l++) {
            float acc0 = 0f, acc1 = 0f, acc2 = 0f, acc3 = 0f;
            for (int b = 0; b < cols / 256; b++) {
                long p = row + (long) BYTES * b;
                float d = half(w, p + 208);
                for (int nh = 0; nh < 4; nh++) {
                    int n = nh >> 1, h = nh & 1;
                    long ql = p + 64 * n + 16 * h, qh = p + 128 + 32 * n + 16 * h, sc = p + 192 + 8 * n + h;
                    for (int i = l; i < 16; i += W) {
                        int a = w.get(I8, ql + i) & 0xff, c = w.get(I8, ql + 32 + i) & 0xff;
                        int e = w.get(I8, qh + i) & 0xff;
                        int k = xOff + 256 * b + 128 * n + 16 * h + i;
                        acc0 = Math.fma((float) (quant(a, c, e, 0) - 32) * (d * w.get(I8, sc)), x[k], acc0);
                        acc1 = Math.fma((float) (quant(a, c, e, 1) - 32) * (d * w.get(I8, sc + 2)), x[k + 32], acc1);
                        acc2 = Math.fma((float) (quant(a, c, e, 2) - 32) * (d * w.get(I8, sc + 4)), x[k + 64], acc2);
                        acc3 = Math.fma((float) (quant(a, c, e, 3) - 32) * (d * w.get(I8, sc + 6)), x[k + 96], acc3);
                    }
                }
            }
            scratch[l] = (acc0 + acc1) + (acc2 + acc3);
        }
        return Vectors.sumLanes(scratch, 0);
    }
}

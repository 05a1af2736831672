package dev.hyperattention4j.llm.runtime;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;
import jdk.incubator.vector.VectorOperators;

/**
 * Q4_K: super-blocks of 256 = f16 d, f16 dmin, 12 bytes of eight 6-bit (scale, min) pairs, 128 bytes of 4-bit q.
 * Group g (64 weights) is bytes 32g..32g+31: their low nibbles are sub-block 2g, their high nibbles sub-block 2g+1;
 * weight = (d·scale)·q − dmin·min, as the reference decoder computes it.
 */
final class Q4_KKernel extends BlockKernel {
    static final Q4_KKernel INSTANCE = new Q4_KKernel();
    private static final int BYTES = 144;
    private static final VectorSpecies<Integer> INTS = VectorSpecies.of(int.class, S.vectorShape());
    /** 64 bytes: half a super-block's quants (used when {@link #W} is 16). */
    private static final VectorSpecies<Byte> B64 = ByteVector.SPECIES_512;

    private static final java.lang.foreign.ValueLayout.OfLong I64 =
            java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED.withOrder(LE);
    private static final java.lang.foreign.ValueLayout.OfInt I32 =
            java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED.withOrder(LE);

    /**
     * Scale (even index) and min (odd index) of sub-block j, times d and dmin, from the 12 packed bytes at p + 4:
     * bytes 0-3 hold scales 0-3 in their low 6 bits, bytes 4-7 mins 0-3, bytes 8-11 the low 4 bits of scale and
     * min 4-7; the top 2 bits of bytes 0-7 are the high bits of scales and mins 4-7.
     */
    static void scales(MemorySegment w, long p, float d, float dmin, float[] out, int off) {
        long lo = w.get(I64, p + 4);
        int hi = w.get(I32, p + 12);
        for (int j = 0; j < 4; j++) {
            int s = (int) (lo >>> 8 * j) & 0xff, m = (int) (lo >>> 8 * (j + 4)) & 0xff, q = hi >>> 8 * j & 0xff;
            out[off + 2 * j] = d * (s & 63);
            out[off + 2 * j + 1] = dmin * (m & 63);
            out[off + 2 * j + 8] = d * ((q & 0x0f) | (s >>> 6) << 4);
            out[off + 2 * j + 9] = dmin * ((q >>> 4) | (m >>> 6) << 4);
        }
    }

    /**
     * Value {@code i} of {@link #scales}' layout as its 6-bit integer (even i: scale i/2, odd i: min i/2), read from the
     * 12 packed bytes at p + 4: the scalar paths use it one value at a time, with no array.
     */
    static int sixBits(MemorySegment w, long p, int i) {
        int j = i >> 1, min = i & 1;
        if (j < 4) {
            return w.get(I8, p + 4 + j + 4 * min) & 63;
        }
        int q = w.get(I8, p + 12 + j - 4) & 0xff, top = (w.get(I8, p + j + 4 * min) & 0xff) >>> 6;
        return (min == 0 ? q & 0x0f : q >>> 4) | top << 4;
    }

    @Override
    void expand(MemorySegment w, long row, int cols, float[] dst, int off) {
        for (int b = 0; b < cols / 256; b++) {
            long p = row + (long) BYTES * b;
            float d = half(w, p), dmin = half(w, p + 2);
            for (int g = 0; g < 4; g++) {
                int o = off + 256 * b + 64 * g;
                float dl = d * sixBits(w, p, 4 * g), ml = dmin * sixBits(w, p, 4 * g + 1);
                float dh = d * sixBits(w, p, 4 * g + 2), mh = dmin * sixBits(w, p, 4 * g + 3);
                for (int h = 0; h < 2; h++) {
                    // widen the 16 bytes to ints once; both nibbles are cut from the ints (no byte shifts)
                    ByteVector q = ByteVector.fromMemorySegment(B16, w, p + 16 + 32 * g + 16 * h, LE);
                    for (int j = 0; j < PARTS; j++) {
                        IntVector qi = (IntVector) q.convertShape(VectorOperators.B2I, INTS, j);
                        ((FloatVector) qi.and(15).convert(VectorOperators.I2F, 0)).mul(dl).sub(ml)
                                .intoArray(dst, o + 16 * h + W * j);
                        ((FloatVector) qi.lanewise(VectorOperators.ASHR, 4).and(15).convert(VectorOperators.I2F, 0))
                                .mul(dh).sub(mh).intoArray(dst, o + 32 + 16 * h + W * j);
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
                float dl = d * sixBits(w, p, 4 * g), ml = dmin * sixBits(w, p, 4 * g + 1);
                float dh = d * sixBits(w, p, 4 * g + 2), mh = dmin * sixBits(w, p, 4 * g + 3);
                for (int i = 0; i < 32; i++) {
                    int q = w.get(I8, p + 16 + 32 * g + i) & 0xff;
                    dst[o + i] = (float) (q & 0x0f) * dl - ml;
                    dst[o + 32 + i] = (float) (q >>> 4) * dh - mh;
                }
            }
        }
    }

    /**
     * Per super-block 16 floats, laid out like {@link #scales}' output: 0 at the scales, Σ x of sub-block j at 2j + 1;
     * then 16 floats per super-block that {@link #single} fills with the row's unpacked scales and mins.
     */
    @Override
    int prepared(int cols) {
        return cols / 256 * 32;
    }

    /** The sub-block sums of x: 32/W chunks added lane-wise in column order, then the lanes by {@link Vectors#sumLanes}. */
    @Override
    void prepare(float[] x, int xOff, int cols, float[] scratch) {
        for (int j = 0; j < cols / 32; j++) {
            FloatVector v = FloatVector.fromArray(S, x, xOff + 32 * j);
            for (int c = W; c < 32; c += W) {
                v = v.add(FloatVector.fromArray(S, x, xOff + 32 * j + c));
            }
            v.intoArray(scratch, 0);
            scratch[LANES + 2 * j] = 0f;
            scratch[LANES + 2 * j + 1] = Vectors.sumLanes(scratch, 0);
        }
    }

    @Override
    void prepareScalar(float[] x, int xOff, int cols, float[] scratch) {
        for (int j = 0; j < cols / 32; j++) {
            for (int l = 0; l < W; l++) {
                float v = x[xOff + 32 * j + l];
                for (int c = W; c < 32; c += W) {
                    v += x[xOff + 32 * j + c + l];
                }
                scratch[l] = v;
            }
            scratch[LANES + 2 * j] = 0f;
            scratch[LANES + 2 * j + 1] = Vectors.sumLanes(scratch, 0);
        }
    }

    /**
     * Decode order: a weight is (d·scale)·q − dmin·min, so a sub-block's part of the dot is (d·scale)·Σ q·x −
     * (dmin·min)·Σ x. First, per super-block, the 16 scales and mins are unpacked with vector code ({@link #unpack})
     * into the row's scale area of the scratch (see {@link #prepared}); the min terms form a vector m (lane-wise fma
     * of the unpacked values with the sub-block sums of x from {@link #prepare}, zero at the scales, super-block by
     * super-block). Then one flat loop over the row's groups of 32 bytes (sub-blocks 2g and 2g + 1 of the whole row):
     * each 16 bytes are widened to ints once and give both nibbles, lo = Σ (q & 15)·x and hi = Σ (q >>> 4)·x
     * lane-wise (fma chains from zero in column order, W lanes at a time), then a0 = fma(lo, d·scale(2g), a0) and
     * a1 = fma(hi, d·scale(2g + 1), a1); the lanes end as (a0 + a1) − m. Below 512 bits one flat loop with the
     * scales already unpacked compiles to straight code with few bounds checks (nested loops over super-blocks and
     * 16-byte groups did not). At 512 bits the same operations run in a loop over super-blocks that loads the quants
     * 64 bytes at a time: each segment load carries a bounds check, and four times fewer of them made the loop
     * faster. No vector crosses a call (see docs/QUANT-KERNELS.md: a call that C2 leaves out of line boxes its vectors).
     */
    @Override
    void single(MemorySegment w, long row, float[] x, int xOff, int cols, float[] lanes, int laneOff) {
        int blocks = cols / 256, s0 = LANES + 16 * blocks;
        for (int b = 0; b < blocks; b++) {
            unpack(w, row + (long) BYTES * b, lanes, s0 + 16 * b);
        }
        FloatVector zero = FloatVector.zero(S), a0 = zero, a1 = zero, m = zero;
        for (int i = 0; i < 16 * blocks; i += W) {
            m = FloatVector.fromArray(S, lanes, s0 + i).fma(FloatVector.fromArray(S, lanes, LANES + i), m);
        }
        if (W == 16) {
            // 512 bits: the super-block's 128 quant bytes in two 64-byte loads, each cut into its four 16-byte parts
            // (two groups); the same operations in the same order as the flat loop below, with a quarter of the
            // segment loads and their bounds checks (1.15-1.45x in cache, notebook 2026-12-08b)
            for (int b = 0; b < blocks; b++) {
                long p = row + (long) BYTES * b + 16;
                int k = xOff + 256 * b, s = s0 + 16 * b;
                for (int c = 0; c < 2; c++) {
                    ByteVector q = ByteVector.fromMemorySegment(B64, w, p + 64 * c, LE);
                    for (int gg = 0; gg < 2; gg++) {
                        int g = 2 * c + gg;
                        FloatVector lo = zero, hi = zero;
                        for (int h = 0; h < 2; h++) {
                            IntVector qi = (IntVector) q.convertShape(VectorOperators.ZERO_EXTEND_B2I, INTS, 2 * gg + h);
                            int o = k + 64 * g + 16 * h;
                            lo = ((FloatVector) qi.and(15).convert(VectorOperators.I2F, 0))
                                    .fma(FloatVector.fromArray(S, x, o), lo);
                            hi = ((FloatVector) qi.lanewise(VectorOperators.LSHR, 4).convert(VectorOperators.I2F, 0))
                                    .fma(FloatVector.fromArray(S, x, o + 32), hi);
                        }
                        a0 = lo.fma(FloatVector.broadcast(S, lanes[s + 4 * g]), a0);
                        a1 = hi.fma(FloatVector.broadcast(S, lanes[s + 4 * g + 2]), a1);
                    }
                }
            }
            a0.add(a1).sub(m).intoArray(lanes, laneOff);
            return;
        }
        for (int g = 0; g < 4 * blocks; g++) {
            long p = row + (long) BYTES * (g >> 2) + 16 + 32 * (g & 3);
            int k = xOff + 64 * g;
            FloatVector lo = zero, hi = zero;
            for (int h = 0; h < 2; h++) {
                ByteVector q = ByteVector.fromMemorySegment(B16, w, p + 16 * h, LE);
                for (int j = 0; j < PARTS; j++) {
                    IntVector qi = (IntVector) q.convertShape(VectorOperators.ZERO_EXTEND_B2I, INTS, j);
                    int o = k + 16 * h + W * j;
                    lo = ((FloatVector) qi.and(15).convert(VectorOperators.I2F, 0))
                            .fma(FloatVector.fromArray(S, x, o), lo);
                    hi = ((FloatVector) qi.lanewise(VectorOperators.LSHR, 4).convert(VectorOperators.I2F, 0))
                            .fma(FloatVector.fromArray(S, x, o + 32), hi);
                }
            }
            a0 = lo.fma(FloatVector.broadcast(S, lanes[s0 + 4 * g]), a0);
            a1 = hi.fma(FloatVector.broadcast(S, lanes[s0 + 4 * g + 2]), a1);
        }
        a0.add(a1).sub(m).intoArray(lanes, laneOff);
    }

    /** Byte of the 12 packed scale bytes whose low bits (below) give lane i of {@link #scales}' layout. */
    private static final VectorShuffle<Byte> LOW_BYTE = VectorShuffle.fromValues(B16,
            0, 4, 1, 5, 2, 6, 3, 7, 8, 8, 9, 9, 10, 10, 11, 11);
    /** Byte whose top 2 bits are bits 4-5 of lane i (scales and mins 4-7). */
    private static final VectorShuffle<Byte> HIGH_BYTE = VectorShuffle.fromValues(B16,
            0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 1, 5, 2, 6, 3, 7);
    private static final int[] LOW_SHIFT = {0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 4, 0, 4, 0, 4};
    private static final int[] LOW_MASK = {63, 63, 63, 63, 63, 63, 63, 63, 15, 15, 15, 15, 15, 15, 15, 15};
    private static final int[] HIGH_MASK = {0, 0, 0, 0, 0, 0, 0, 0, 0x30, 0x30, 0x30, 0x30, 0x30, 0x30, 0x30, 0x30};
    private static final boolean[] ODD = {false, true, false, true, false, true, false, true,
            false, true, false, true, false, true, false, true};

    /** The values of {@link #scales} (the same bits) with vector code, to {@code lanes[sm .. sm + 16)}. */
    static void unpack(MemorySegment w, long p, float[] lanes, int sm) {
        ByteVector packed = ByteVector.fromMemorySegment(B16, w, p + 4, LE);
        ByteVector lo = packed.rearrange(LOW_BYTE), hi = packed.rearrange(HIGH_BYTE);
        FloatVector dd = FloatVector.broadcast(S, half(w, p))
                .blend(FloatVector.broadcast(S, half(w, p + 2)), VectorMask.fromArray(S, ODD, 0));
        for (int j = 0; j < PARTS; j++) {
            IntVector l = (IntVector) lo.convertShape(VectorOperators.ZERO_EXTEND_B2I, INTS, j);
            IntVector h = (IntVector) hi.convertShape(VectorOperators.ZERO_EXTEND_B2I, INTS, j);
            IntVector v = l.lanewise(VectorOperators.LSHR, IntVector.fromArray(INTS, LOW_SHIFT, W * j))
                    .and(IntVector.fromArray(INTS, LOW_MASK, W * j))
                    .or(h.lanewise(VectorOperators.LSHR, 2).and(IntVector.fromArray(INTS, HIGH_MASK, W * j)));
            ((FloatVector) v.convert(VectorOperators.I2F, 0)).mul(dd).intoArray(lanes, sm + W * j);
        }
    }

    /** {@link #single} and the lane sum with scalar code, lane by lane: the same bits. */
    @Override
    float dotScalar(MemorySegment w, long row, float[] x, int xOff, int cols, float[] scratch) {
        int sm = 4 * W;
        for (int l = 0; l < W; l++) {
            float a0 = 0f, a1 = 0f, m = 0f;
            for (int b = 0; b < cols / 256; b++) {
                long p = row + (long) BYTES * b;
                scales(w, p, half(w, p), half(w, p + 2), scratch, sm);
                for (int j = l; j < 16; j += W) {
                    m = Math.fma(scratch[sm + j], scratch[LANES + 16 * b + j], m);
                }
                for (int g = 0; g < 4; g++) {
                    float lo = 0f, hi = 0f;
                    for (int i = l; i < 32; i += W) {
                        int q = w.get(I8, p + 16 + 32 * g + i) & 0xff, k = xOff + 256 * b + 64 * g + i;
                        lo = Math.fma((float) (q & 15), x[k], lo);
                        hi = Math.fma((float) (q >>> 4), x[k + 32], hi);
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

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
     * then 16 floats per super-block that {@link #single} fills with the row's unpacked scales and mins; at 512 bits
     * then x in the order of the int lanes, {@link #spread}.
     */
    @Override
    int prepared(int cols) {
        return sumsAndScales(cols) + (W == 16 ? cols : 0);
    }

    /** Floats of the sub-block sums of x and the row's scales (also Q5_K's). */
    static int sumsAndScales(int cols) {
        return cols / 256 * 32;
    }

    @Override
    void prepare(float[] x, int xOff, int cols, float[] scratch) {
        sums(x, xOff, cols, scratch);
        if (W == 16) {
            spread(x, xOff, cols, scratch, LANES + sumsAndScales(cols));
        }
    }

    @Override
    void prepareScalar(float[] x, int xOff, int cols, float[] scratch) {
        sumsScalar(x, xOff, cols, scratch);
        if (W == 16) {
            spreadScalar(x, xOff, cols, scratch, LANES + sumsAndScales(cols));
        }
    }

    /** The sub-block sums of x: 32/W chunks added lane-wise in column order, then the lanes by {@link Vectors#sumLanes}. */
    static void sums(float[] x, int xOff, int cols, float[] scratch) {
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

    /** {@link #sums} with scalar code: the same bits. */
    static void sumsScalar(float[] x, int xOff, int cols, float[] scratch) {
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

    /*
     * The 512-bit decode reads 64 quant bytes (two groups, 128 columns) as 16 int lanes: lane i holds bytes 4i .. 4i + 3,
     * so byte bb of lane i is byte t = 4(i & 7) + bb of group 2c + (i >> 3), whose low nibble is column 64(i >> 3) + t
     * of the 128 and whose high nibble column 64(i >> 3) + 32 + t. A nibble is masked in place, q·2^(8bb) (the low one
     * by v & (15 << 8bb), the high one by (v >>> 4) & (15 << 8bb)), and multiplied by x·2^(−8bb): the same product
     * q·x, exactly (powers of two), with one and, one conversion and one fma per 16 weights and no byte widening.
     * Slot 2bb + nib (16 floats) of a 128-column chunk of the spread x holds, in lane i, x[64(i >> 3) + 32 nib +
     * 4(i & 7) + bb]·2^(−8bb).
     */

    /** Lane L of each slot takes element 4(L & 3) + bb of its source vector (the vectors 2nib + (L >> 2) + 2(L >> 3)). */
    @SuppressWarnings("unchecked")
    private static final VectorShuffle<Float>[] TAKE = new VectorShuffle[4];
    /** Lanes 4j .. 4j + 3 (j = 1, 2, 3): where the slot's lanes come from source j. */
    @SuppressWarnings("unchecked")
    private static final VectorMask<Float>[] QUARTER = new VectorMask[4];
    /** 2^(−8bb): exact. */
    private static final float[] DOWN = {1f, 0x1p-8f, 0x1p-16f, 0x1p-24f};
    /** Per chunk c and nibble: the lane-wise scale of {@link #single}'s 512-bit loop, lanes 0-7 of group 2c, 8-15 of 2c + 1. */
    @SuppressWarnings("unchecked")
    private static final VectorShuffle<Float>[] SCALE_OF = new VectorShuffle[4];

    static {
        if (W == 16) {
            for (int bb = 0; bb < 4; bb++) {
                int b4 = bb;
                TAKE[bb] = VectorShuffle.fromOp(S, l -> 4 * (l & 3) + b4);
                boolean[] q = new boolean[W];
                for (int l = 4 * bb; l < 4 * bb + 4; l++) {
                    q[l] = true;
                }
                QUARTER[bb] = VectorMask.fromArray(S, q, 0);
            }
            for (int c = 0; c < 2; c++) {
                for (int nib = 0; nib < 2; nib++) {
                    int cc = c, nn = nib;
                    SCALE_OF[2 * c + nib] = VectorShuffle.fromOp(S, l -> 8 * cc + 4 * (l >> 3) + 2 * nn);
                }
            }
        }
    }

    /** x in the order of the 512-bit decode's int lanes (see above), at {@code scratch[at ..]}: vector code. */
    private static void spread(float[] x, int xOff, int cols, float[] scratch, int at) {
        for (int k = 0; k < cols; k += 128) {
            for (int nib = 0; nib < 2; nib++) {
                FloatVector s0 = FloatVector.fromArray(S, x, xOff + k + 32 * nib);
                FloatVector s1 = FloatVector.fromArray(S, x, xOff + k + 32 * nib + 16);
                FloatVector s2 = FloatVector.fromArray(S, x, xOff + k + 64 + 32 * nib);
                FloatVector s3 = FloatVector.fromArray(S, x, xOff + k + 64 + 32 * nib + 16);
                for (int bb = 0; bb < 4; bb++) {
                    VectorShuffle<Float> take = TAKE[bb];
                    s0.rearrange(take).blend(s1.rearrange(take), QUARTER[1]).blend(s2.rearrange(take), QUARTER[2])
                            .blend(s3.rearrange(take), QUARTER[3]).mul(DOWN[bb])
                            .intoArray(scratch, at + k + 16 * (2 * bb + nib));
                }
            }
        }
    }

    /** {@link #spread} with scalar code: the same values. */
    private static void spreadScalar(float[] x, int xOff, int cols, float[] scratch, int at) {
        for (int k = 0; k < cols; k += 128) {
            for (int nib = 0; nib < 2; nib++) {
                for (int bb = 0; bb < 4; bb++) {
                    for (int l = 0; l < 16; l++) {
                        scratch[at + k + 16 * (2 * bb + nib) + l] =
                                x[xOff + k + 64 * (l >> 3) + 32 * nib + 4 * (l & 7) + bb] * DOWN[bb];
                    }
                }
            }
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
     * a1 = fma(hi, d·scale(2g + 1), a1); the lanes end as (a0 + a1) − m. One flat loop with the scales already
     * unpacked compiles to straight code with few bounds checks (nested loops over super-blocks and 16-byte groups
     * did not).
     *
     * <p>At 512 bits the order differs (the twin follows it): per super-block, each 64 quant bytes (groups 2c and
     * 2c + 1) are read as 16 int lanes and their nibbles masked in place against the spread x of {@link #prepare}
     * (see the comment above {@code TAKE}): lo = Σ over bb of (v & 15 << 8bb)·x' and hi the same with v >>> 4 (a
     * product, then fma chains, bb = 0..3), then a(2c) = fma(lo, s, a(2c)) and a(2c + 1) = fma(hi, s', a(2c + 1)) with
     * the lane-wise scales s (d·scale of sub-block 4c in lanes 0-7, 4c + 2 in lanes 8-15) and s' (4c + 1, 4c + 3);
     * the lanes end as ((a0 + a1) + (a2 + a3)) − m. Each product is q·x exactly as before (the powers of two cancel;
     * only an |x| below 2^−102, whose x·2^−24 is subnormal, loses bits), but per 16 weights it costs one and, one
     * conversion and one fma, with no byte widening and no part selection, and one 64-byte load per 128 weights
     * (faster in cache and from memory: notebook 2026-12-08b). No vector
     * crosses a call (see docs/QUANT-KERNELS.md: a call that C2 leaves out of line boxes its vectors).
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
            // 512 bits: per 64 quant bytes, int lanes with the nibbles masked in place against the spread x (see
            // above); lo and hi chains over bb, then the lane-wise scales of the two groups (SCALE_OF), four
            // accumulators: (a0 + a1) + (a2 + a3) − m
            FloatVector a2 = zero, a3 = zero;
            int xs = LANES + sumsAndScales(cols);
            for (int b = 0; b < blocks; b++) {
                long p = row + (long) BYTES * b + 16;
                FloatVector u = FloatVector.fromArray(S, lanes, s0 + 16 * b);
                int o = xs + 256 * b;
                IntVector q = IntVector.fromMemorySegment(INTS, w, p, LE), r = q.lanewise(VectorOperators.LSHR, 4);
                FloatVector lo = ((FloatVector) q.and(0xf).convert(VectorOperators.I2F, 0))
                        .mul(FloatVector.fromArray(S, lanes, o));
                FloatVector hi = ((FloatVector) r.and(0xf).convert(VectorOperators.I2F, 0))
                        .mul(FloatVector.fromArray(S, lanes, o + 16));
                lo = ((FloatVector) q.and(0xf00).convert(VectorOperators.I2F, 0))
                        .fma(FloatVector.fromArray(S, lanes, o + 32), lo);
                hi = ((FloatVector) r.and(0xf00).convert(VectorOperators.I2F, 0))
                        .fma(FloatVector.fromArray(S, lanes, o + 48), hi);
                lo = ((FloatVector) q.and(0xf0000).convert(VectorOperators.I2F, 0))
                        .fma(FloatVector.fromArray(S, lanes, o + 64), lo);
                hi = ((FloatVector) r.and(0xf0000).convert(VectorOperators.I2F, 0))
                        .fma(FloatVector.fromArray(S, lanes, o + 80), hi);
                lo = ((FloatVector) q.and(0xf000000).convert(VectorOperators.I2F, 0))
                        .fma(FloatVector.fromArray(S, lanes, o + 96), lo);
                hi = ((FloatVector) r.and(0xf000000).convert(VectorOperators.I2F, 0))
                        .fma(FloatVector.fromArray(S, lanes, o + 112), hi);
                a0 = lo.fma(u.rearrange(SCALE_OF[0]), a0);
                a1 = hi.fma(u.rearrange(SCALE_OF[1]), a1);
                q = IntVector.fromMemorySegment(INTS, w, p + 64, LE);
                r = q.lanewise(VectorOperators.LSHR, 4);
                lo = ((FloatVector) q.and(0xf).convert(VectorOperators.I2F, 0))
                        .mul(FloatVector.fromArray(S, lanes, o + 128));
                hi = ((FloatVector) r.and(0xf).convert(VectorOperators.I2F, 0))
                        .mul(FloatVector.fromArray(S, lanes, o + 144));
                lo = ((FloatVector) q.and(0xf00).convert(VectorOperators.I2F, 0))
                        .fma(FloatVector.fromArray(S, lanes, o + 160), lo);
                hi = ((FloatVector) r.and(0xf00).convert(VectorOperators.I2F, 0))
                        .fma(FloatVector.fromArray(S, lanes, o + 176), hi);
                lo = ((FloatVector) q.and(0xf0000).convert(VectorOperators.I2F, 0))
                        .fma(FloatVector.fromArray(S, lanes, o + 192), lo);
                hi = ((FloatVector) r.and(0xf0000).convert(VectorOperators.I2F, 0))
                        .fma(FloatVector.fromArray(S, lanes, o + 208), hi);
                lo = ((FloatVector) q.and(0xf000000).convert(VectorOperators.I2F, 0))
                        .fma(FloatVector.fromArray(S, lanes, o + 224), lo);
                hi = ((FloatVector) r.and(0xf000000).convert(VectorOperators.I2F, 0))
                        .fma(FloatVector.fromArray(S, lanes, o + 240), hi);
                a2 = lo.fma(u.rearrange(SCALE_OF[2]), a2);
                a3 = hi.fma(u.rearrange(SCALE_OF[3]), a3);
            }
            a0.add(a1).add(a2.add(a3)).sub(m).intoArray(lanes, laneOff);
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
        if (W == 16) {
            int xs = LANES + sumsAndScales(cols);
            for (int l = 0; l < W; l++) {
                float a0 = 0f, a1 = 0f, a2 = 0f, a3 = 0f, m = 0f;
                for (int b = 0; b < cols / 256; b++) {
                    long p = row + (long) BYTES * b;
                    scales(w, p, half(w, p), half(w, p + 2), scratch, sm);
                    m = Math.fma(scratch[sm + l], scratch[LANES + 16 * b + l], m);
                    for (int c = 0; c < 2; c++) {
                        int q = w.get(I32, p + 16 + 64 * c + 4 * l), r = q >>> 4, o = xs + 256 * b + 128 * c + l;
                        float lo = (float) (q & 0xf) * scratch[o], hi = (float) (r & 0xf) * scratch[o + 16];
                        lo = Math.fma((float) (q & 0xf00), scratch[o + 32], lo);
                        hi = Math.fma((float) (r & 0xf00), scratch[o + 48], hi);
                        lo = Math.fma((float) (q & 0xf0000), scratch[o + 64], lo);
                        hi = Math.fma((float) (r & 0xf0000), scratch[o + 80], hi);
                        lo = Math.fma((float) (q & 0xf000000), scratch[o + 96], lo);
                        hi = Math.fma((float) (r & 0xf000000), scratch[o + 112], hi);
                        int sc = sm + 8 * c + 4 * (l >> 3);
                        if (c == 0) {
                            a0 = Math.fma(lo, scratch[sc], a0);
                            a1 = Math.fma(hi, scratch[sc + 2], a1);
                        } else {
                            a2 = Math.fma(lo, scratch[sc], a2);
                            a3 = Math.fma(hi, scratch[sc + 2], a3);
                        }
                    }
                }
                scratch[l] = ((a0 + a1) + (a2 + a3)) - m;
            }
            return Vectors.sumLanes(scratch, 0);
        }
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

package dev.hyperattention4j.llm.runtime;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
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

    @Override
    void expand(MemorySegment w, long row, int cols, float[] dst, int off) {
        float[] sm = new float[16];
        for (int b = 0; b < cols / 256; b++) {
            long p = row + (long) BYTES * b;
            scales(w, p, half(w, p), half(w, p + 2), sm, 0);
            for (int g = 0; g < 4; g++) {
                int o = off + 256 * b + 64 * g;
                float dl = sm[4 * g], ml = sm[4 * g + 1], dh = sm[4 * g + 2], mh = sm[4 * g + 3];
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
        float[] sm = new float[16];
        for (int b = 0; b < cols / 256; b++) {
            long p = row + (long) BYTES * b;
            scales(w, p, half(w, p), half(w, p + 2), sm, 0);
            for (int g = 0; g < 4; g++) {
                int o = off + 256 * b + 64 * g;
                for (int i = 0; i < 32; i++) {
                    int q = w.get(I8, p + 16 + 32 * g + i) & 0xff;
                    dst[o + i] = (float) (q & 0x0f) * sm[4 * g] - sm[4 * g + 1];
                    dst[o + 32 + i] = (float) (q >>> 4) * sm[4 * g + 2] - sm[4 * g + 3];
                }
            }
        }
    }

    /** Lane sums of x over each sub-block of 32 columns: W floats per sub-block, after the lanes area. */
    @Override
    int prepared(int cols) {
        return cols / 32 * W;
    }

    /** xs[j] = Σ over the 32/W chunks of sub-block j of x, lane-wise, in column order. */
    @Override
    void prepare(float[] x, int xOff, int cols, float[] scratch) {
        for (int j = 0; j < cols / 32; j++) {
            FloatVector v = FloatVector.fromArray(S, x, xOff + 32 * j);
            for (int c = W; c < 32; c += W) {
                v = v.add(FloatVector.fromArray(S, x, xOff + 32 * j + c));
            }
            v.intoArray(scratch, LANES + W * j);
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
                scratch[LANES + W * j + l] = v;
            }
        }
    }

    /**
     * Decode order: a weight is (d·scale)·q − dmin·min, so a sub-block's part of the dot is (d·scale)·Σ q·x −
     * (dmin·min)·Σ x. Per sub-block, t = Σ q·x lane-wise (chunks of W in column order, the first a product), then
     * acc = fma(t, d·scale, acc) and m = fma(xs, dmin·min, m) with the lane sums xs of {@link #prepare}; low-nibble
     * (even) and high-nibble (odd) sub-blocks feed separate accumulators (four independent FMA chains), and the
     * lanes end as (acc_even + acc_odd) − (m_even + m_odd). Scales are unpacked once per super-block (scalar code)
     * after the accumulators in {@code lanes}.
     */
    @Override
    void single(MemorySegment w, long row, float[] x, int xOff, int cols, float[] lanes) {
        int sm = 4 * W;
        FloatVector a0 = FloatVector.zero(S), a1 = a0, m0 = a0, m1 = a0;
        for (int b = 0; b < cols / 256; b++) {
            long p = row + (long) BYTES * b;
            scales(w, p, half(w, p), half(w, p + 2), lanes, sm);
            for (int g = 0; g < 4; g++) {
                long qs = p + 16 + 32 * g;
                int k = xOff + 256 * b + 64 * g, xs = LANES + W * (8 * b + 2 * g);
                a0 = low(w, qs, x, k).fma(FloatVector.broadcast(S, lanes[sm + 4 * g]), a0);
                a1 = high(w, qs, x, k + 32).fma(FloatVector.broadcast(S, lanes[sm + 4 * g + 2]), a1);
                m0 = FloatVector.fromArray(S, lanes, xs).fma(FloatVector.broadcast(S, lanes[sm + 4 * g + 1]), m0);
                m1 = FloatVector.fromArray(S, lanes, xs + W).fma(FloatVector.broadcast(S, lanes[sm + 4 * g + 3]), m1);
            }
        }
        a0.add(a1).sub(m0.add(m1)).intoArray(lanes, 0);
    }

    /** Σ q·x lane-wise over the low nibbles of the 32 bytes at qs (a sub-block) and x[k .. k + 32). */
    private static FloatVector low(MemorySegment w, long qs, float[] x, int k) {
        ByteVector q = bytes(w, qs);
        FloatVector t = lowPart(q, 0).mul(FloatVector.fromArray(S, x, k));
        for (int j = 1; j < PARTS; j++) {
            t = lowPart(q, j).fma(FloatVector.fromArray(S, x, k + W * j), t);
        }
        q = bytes(w, qs + 16);
        for (int j = 0; j < PARTS; j++) {
            t = lowPart(q, j).fma(FloatVector.fromArray(S, x, k + 16 + W * j), t);
        }
        return t;
    }

    /** The same over the high nibbles. */
    private static FloatVector high(MemorySegment w, long qs, float[] x, int k) {
        ByteVector q = bytes(w, qs);
        FloatVector t = highPart(q, 0).mul(FloatVector.fromArray(S, x, k));
        for (int j = 1; j < PARTS; j++) {
            t = highPart(q, j).fma(FloatVector.fromArray(S, x, k + W * j), t);
        }
        q = bytes(w, qs + 16);
        for (int j = 0; j < PARTS; j++) {
            t = highPart(q, j).fma(FloatVector.fromArray(S, x, k + 16 + W * j), t);
        }
        return t;
    }

    private static FloatVector lowPart(ByteVector q, int part) {
        IntVector qi = (IntVector) q.convertShape(VectorOperators.ZERO_EXTEND_B2I, INTS, part);
        return (FloatVector) qi.and(15).convert(VectorOperators.I2F, 0);
    }

    private static FloatVector highPart(ByteVector q, int part) {
        IntVector qi = (IntVector) q.convertShape(VectorOperators.ZERO_EXTEND_B2I, INTS, part);
        return (FloatVector) qi.lanewise(VectorOperators.LSHR, 4).convert(VectorOperators.I2F, 0);
    }

    /** {@link #single} and the lane sum with scalar code, lane by lane: the same bits. */
    @Override
    float dotScalar(MemorySegment w, long row, float[] x, int xOff, int cols, float[] scratch) {
        int sm = 4 * W;
        for (int l = 0; l < W; l++) {
            float a0 = 0f, a1 = 0f, m0 = 0f, m1 = 0f;
            for (int b = 0; b < cols / 256; b++) {
                long p = row + (long) BYTES * b;
                scales(w, p, half(w, p), half(w, p + 2), scratch, sm);
                for (int g = 0; g < 4; g++) {
                    long qs = p + 16 + 32 * g + l;
                    int k = xOff + 256 * b + 64 * g + l, xs = LANES + W * (8 * b + 2 * g) + l;
                    float lo = (float) (w.get(I8, qs) & 15) * x[k];
                    float hi = (float) ((w.get(I8, qs) & 0xff) >>> 4) * x[k + 32];
                    for (int c = W; c < 32; c += W) {
                        int q = w.get(I8, qs + c) & 0xff;
                        lo = Math.fma((float) (q & 15), x[k + c], lo);
                        hi = Math.fma((float) (q >>> 4), x[k + 32 + c], hi);
                    }
                    a0 = Math.fma(lo, scratch[sm + 4 * g], a0);
                    a1 = Math.fma(hi, scratch[sm + 4 * g + 2], a1);
                    m0 = Math.fma(scratch[xs], scratch[sm + 4 * g + 1], m0);
                    m1 = Math.fma(scratch[xs + W], scratch[sm + 4 * g + 3], m1);
                }
            }
            scratch[l] = (a0 + a1) - (m0 + m1);
        }
        return Vectors.sumLanes(scratch, 0);
    }
}

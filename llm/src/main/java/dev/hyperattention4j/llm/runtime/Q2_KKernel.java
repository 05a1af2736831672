package dev.hyperattention4j.llm.runtime;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Q2_K: super-blocks of 256 weights in 84 bytes = 16 bytes (scale | min &lt;&lt; 4, one per sub-block of 16 weights),
 * 64 bytes of 2-bit q, f16 d, f16 dmin. Sub-block j covers columns 16j .. 16j + 15. Group g of a row (g = 2b + h:
 * super-block b, half h) is the 32 quant bytes at 16 + 32h; its half lh (16 bytes) holds in bits 2s, 2s + 1 (s = 0..3)
 * the quants of sub-block 8h + 2s + lh, so the group covers columns 128g .. 128g + 127 of the row.
 * Weight = (d·scale)·q − dmin·min, as the reference decoder computes it.
 */
final class Q2_KKernel extends BlockKernel {
    static final Q2_KKernel INSTANCE = new Q2_KKernel();
    private static final int BYTES = 84;
    private static final VectorSpecies<Integer> INTS = VectorSpecies.of(int.class, S.vectorShape());
    /**
     * The scales in the order the decode loop reads them: position 8h + 4lh + s holds the scale of sub-block
     * 8h + 2s + lh (h, lh in 0..1, s in 0..3).
     */
    private static final VectorShuffle<Byte> LOOP_ORDER = VectorShuffle.fromValues(B16,
            0, 2, 4, 6, 1, 3, 5, 7, 8, 10, 12, 14, 9, 11, 13, 15);

    @Override
    void expand(MemorySegment w, long row, int cols, float[] dst, int off) {
        for (int b = 0; b < cols / 256; b++) {
            long p = row + (long) BYTES * b;
            float d = half(w, p + 80), dmin = half(w, p + 82);
            for (int c = 0; c < 4; c++) {
                int h = c >> 1, lh = c & 1;
                ByteVector q = ByteVector.fromMemorySegment(B16, w, p + 16 + 16 * c, LE);
                for (int s = 0; s < 4; s++) {
                    int sub = 8 * h + 2 * s + lh, sc = w.get(I8, p + sub) & 0xff;
                    float dl = d * (sc & 15), ml = dmin * (sc >>> 4);
                    for (int j = 0; j < PARTS; j++) {
                        IntVector qi = (IntVector) q.convertShape(VectorOperators.ZERO_EXTEND_B2I, INTS, j);
                        ((FloatVector) qi.lanewise(VectorOperators.LSHR, 2 * s).and(3).convert(VectorOperators.I2F, 0))
                                .mul(dl).sub(ml).intoArray(dst, off + 256 * b + 16 * sub + W * j);
                    }
                }
            }
        }
    }

    @Override
    void expandScalar(MemorySegment w, long row, int cols, float[] dst, int off) {
        for (int b = 0; b < cols / 256; b++) {
            long p = row + (long) BYTES * b;
            float d = half(w, p + 80), dmin = half(w, p + 82);
            for (int sub = 0; sub < 16; sub++) {
                int sc = w.get(I8, p + sub) & 0xff, h = sub >> 3, s = (sub >> 1) & 3, lh = sub & 1;
                float dl = d * (sc & 15), ml = dmin * (sc >>> 4);
                for (int i = 0; i < 16; i++) {
                    int q = (w.get(I8, p + 16 + 32 * h + 16 * lh + i) & 0xff) >>> 2 * s & 3;
                    dst[off + 256 * b + 16 * sub + i] = dl * q - ml;
                }
            }
        }
    }

    /**
     * Σ x of each sub-block (cols / 16 floats), then room for the row's scales in loop order and its mins (cols / 16
     * floats each), which {@link #single} fills.
     */
    @Override
    int prepared(int cols) {
        return 3 * (cols / 16);
    }

    /** Sub-block sums of x: 16/W chunks added lane-wise in column order, then the lanes by {@link Vectors#sumLanes}. */
    @Override
    void prepare(float[] x, int xOff, int cols, float[] scratch) {
        for (int j = 0; j < cols / 16; j++) {
            FloatVector v = FloatVector.fromArray(S, x, xOff + 16 * j);
            for (int c = W; c < 16; c += W) {
                v = v.add(FloatVector.fromArray(S, x, xOff + 16 * j + c));
            }
            v.intoArray(scratch, 0);
            scratch[LANES + j] = Vectors.sumLanes(scratch, 0);
        }
    }

    @Override
    void prepareScalar(float[] x, int xOff, int cols, float[] scratch) {
        for (int j = 0; j < cols / 16; j++) {
            for (int l = 0; l < W; l++) {
                float v = x[xOff + 16 * j + l];
                for (int c = W; c < 16; c += W) {
                    v += x[xOff + 16 * j + c + l];
                }
                scratch[l] = v;
            }
            scratch[LANES + j] = Vectors.sumLanes(scratch, 0);
        }
    }

    /**
     * Decode order: a sub-block's part of the dot is (d·scale)·Σ q·x − (dmin·min)·Σ x. First the row's scales (in
     * loop order) and mins are unpacked with vector code ({@link #unpack}) into scratch, and the min terms summed
     * lane-wise, m = fma(dmin·min, Σ x, m) over the row's sub-blocks W at a time. Then one flat loop over the row's
     * groups of 32 quant bytes (x index 128g: linear, so C2 drops the bounds checks on x): per half lh, the 16 bytes
     * are widened to ints once and give the four sub-blocks' t_s = Σ ((q &gt;&gt; 2s) &amp; 3)·x lane-wise (fma
     * chains from zero in column order, W lanes at a time), then a_s = fma(t_s, d·scale, a_s); the lanes end as
     * ((a0 + a1) + (a2 + a3)) − m. No vector crosses a call (docs/QUANT-KERNELS.md).
     */
    @Override
    void single(MemorySegment w, long row, float[] x, int xOff, int cols, float[] lanes, int laneOff) {
        int blocks = cols / 256, sc0 = LANES + cols / 16, mn0 = sc0 + cols / 16;
        for (int b = 0; b < blocks; b++) {
            unpack(w, row + (long) BYTES * b, lanes, sc0 + 16 * b, mn0 + 16 * b);
        }
        FloatVector zero = FloatVector.zero(S), a0 = zero, a1 = zero, a2 = zero, a3 = zero, m = zero;
        for (int i = 0; i < 16 * blocks; i += W) {
            m = FloatVector.fromArray(S, lanes, mn0 + i).fma(FloatVector.fromArray(S, lanes, LANES + i), m);
        }
        for (int g = 0; g < 2 * blocks; g++) {
            long p = row + (long) BYTES * (g >> 1) + 16 + 32 * (g & 1);
            int k = xOff + 128 * g;
            for (int lh = 0; lh < 2; lh++) {
                ByteVector q = ByteVector.fromMemorySegment(B16, w, p + 16 * lh, LE);
                FloatVector t0 = zero, t1 = zero, t2 = zero, t3 = zero;
                for (int j = 0; j < PARTS; j++) {
                    IntVector qi = (IntVector) q.convertShape(VectorOperators.ZERO_EXTEND_B2I, INTS, j);
                    int o = k + 16 * lh + W * j;
                    t0 = ((FloatVector) qi.and(3).convert(VectorOperators.I2F, 0))
                            .fma(FloatVector.fromArray(S, x, o), t0);
                    t1 = ((FloatVector) qi.lanewise(VectorOperators.LSHR, 2).and(3).convert(VectorOperators.I2F, 0))
                            .fma(FloatVector.fromArray(S, x, o + 32), t1);
                    t2 = ((FloatVector) qi.lanewise(VectorOperators.LSHR, 4).and(3).convert(VectorOperators.I2F, 0))
                            .fma(FloatVector.fromArray(S, x, o + 64), t2);
                    t3 = ((FloatVector) qi.lanewise(VectorOperators.LSHR, 6).convert(VectorOperators.I2F, 0))
                            .fma(FloatVector.fromArray(S, x, o + 96), t3);
                }
                int sc = sc0 + 8 * g + 4 * lh;
                a0 = t0.fma(FloatVector.broadcast(S, lanes[sc]), a0);
                a1 = t1.fma(FloatVector.broadcast(S, lanes[sc + 1]), a1);
                a2 = t2.fma(FloatVector.broadcast(S, lanes[sc + 2]), a2);
                a3 = t3.fma(FloatVector.broadcast(S, lanes[sc + 3]), a3);
            }
        }
        a0.add(a1).add(a2.add(a3)).sub(m).intoArray(lanes, laneOff);
    }

    /**
     * The block's 16 scales times d, in loop order, to {@code lanes[sc ..+ 16)} and its 16 mins times dmin, in
     * sub-block order, to {@code lanes[mn ..+ 16)}, with vector code.
     */
    static void unpack(MemorySegment w, long p, float[] lanes, int sc, int mn) {
        ByteVector packed = ByteVector.fromMemorySegment(B16, w, p, LE);
        ByteVector ordered = packed.rearrange(LOOP_ORDER);
        float d = half(w, p + 80), dmin = half(w, p + 82);
        for (int j = 0; j < PARTS; j++) {
            IntVector s = (IntVector) ordered.convertShape(VectorOperators.ZERO_EXTEND_B2I, INTS, j);
            ((FloatVector) s.and(15).convert(VectorOperators.I2F, 0)).mul(d).intoArray(lanes, sc + W * j);
            IntVector m = (IntVector) packed.convertShape(VectorOperators.ZERO_EXTEND_B2I, INTS, j);
            ((FloatVector) m.lanewise(VectorOperators.LSHR, 4).convert(VectorOperators.I2F, 0)).mul(dmin)
                    .intoArray(lanes, mn + W * j);
        }
    }

    /** {@link #single} and the lane sum with scalar code, lane by lane: the same bits. */
    @Override
    float dotScalar(MemorySegment w, long row, float[] x, int xOff, int cols, float[] scratch) {
        int blocks = cols / 256;
        for (int l = 0; l < W; l++) {
            float a0 = 0f, a1 = 0f, a2 = 0f, a3 = 0f, m = 0f;
            for (int b = 0; b < blocks; b++) {
                long p = row + (long) BYTES * b;
                float dmin = half(w, p + 82);
                for (int j = l; j < 16; j += W) {
                    m = Math.fma((float) ((w.get(I8, p + j) & 0xff) >>> 4) * dmin, scratch[LANES + 16 * b + j], m);
                }
            }
            for (int g = 0; g < 2 * blocks; g++) {
                long b = row + (long) BYTES * (g >> 1), p = b + 16 + 32 * (g & 1);
                float d = half(w, b + 80);
                int k = xOff + 128 * g;
                for (int lh = 0; lh < 2; lh++) {
                    float t0 = 0f, t1 = 0f, t2 = 0f, t3 = 0f;
                    for (int i = l; i < 16; i += W) {
                        int q = w.get(I8, p + 16 * lh + i) & 0xff, o = k + 16 * lh + i;
                        t0 = Math.fma((float) (q & 3), x[o], t0);
                        t1 = Math.fma((float) (q >>> 2 & 3), x[o + 32], t1);
                        t2 = Math.fma((float) (q >>> 4 & 3), x[o + 64], t2);
                        t3 = Math.fma((float) (q >>> 6), x[o + 96], t3);
                    }
                    // scale of sub-block 8h + 2s + lh, h = g & 1
                    int sub = 8 * (g & 1) + lh;
                    a0 = Math.fma(t0, (float) (w.get(I8, b + sub) & 15) * d, a0);
                    a1 = Math.fma(t1, (float) (w.get(I8, b + sub + 2) & 15) * d, a1);
                    a2 = Math.fma(t2, (float) (w.get(I8, b + sub + 4) & 15) * d, a2);
                    a3 = Math.fma(t3, (float) (w.get(I8, b + sub + 6) & 15) * d, a3);
                }
            }
            scratch[l] = ((a0 + a1) + (a2 + a3)) - m;
        }
        return Vectors.sumLanes(scratch, 0);
    }
}

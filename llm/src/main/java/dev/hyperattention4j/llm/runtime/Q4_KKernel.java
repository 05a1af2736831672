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

    /**
     * The fused decode: per super-block each row's 16 scales are unpacked (scalar code) after the accumulators in
     * {@code lanes}, then each group of 64 weights is decoded in registers by {@link #group}, small enough for C2 to
     * inline (a whole super-block in one method was not, and ran at 2.7 GB/s).
     */
    @Override
    void pair(MemorySegment w, long row, long rowBytes, float[] x, int xOff, int cols, float[] lanes, int lanesOff) {
        int sm = 4 * W;
        FloatVector a0 = FloatVector.zero(S), a1 = a0;
        for (int b = 0; b < cols / 256; b++) {
            long p = row + (long) BYTES * b, q = p + rowBytes;
            scales(w, p, half(w, p), half(w, p + 2), lanes, sm);
            scales(w, q, half(w, q), half(w, q + 2), lanes, sm + 16);
            for (int g = 0; g < 4; g++) {
                int k = xOff + 256 * b + 64 * g;
                a0 = group(w, p + 16 + 32 * g, lanes, sm + 4 * g, x, k, a0);
                a1 = group(w, q + 16 + 32 * g, lanes, sm + 16 + 4 * g, x, k, a1);
            }
        }
        a0.intoArray(lanes, lanesOff);
        a1.intoArray(lanes, lanesOff + W);
    }

    @Override
    void single(MemorySegment w, long row, float[] x, int xOff, int cols, float[] lanes) {
        int sm = 4 * W;
        FloatVector a = FloatVector.zero(S);
        for (int b = 0; b < cols / 256; b++) {
            long p = row + (long) BYTES * b;
            scales(w, p, half(w, p), half(w, p + 2), lanes, sm);
            for (int g = 0; g < 4; g++) {
                a = group(w, p + 16 + 32 * g, lanes, sm + 4 * g, x, xOff + 256 * b + 64 * g, a);
            }
        }
        a.intoArray(lanes, 0);
    }

    /**
     * acc + the 64 weights of a group times x[k .. k + 64): 32 bytes at {@code qs}, their low nibbles (scale and min
     * at sm[s], sm[s + 1]) then their high nibbles (sm[s + 2], sm[s + 3]), in column order. A loop, not four calls:
     * C2 inlines a call once per call site, and with the Vector API's deep call trees four sites per row ran into
     * its node-count cutoff (the vectors were then boxed).
     */
    private static FloatVector group(MemorySegment w, long qs, float[] sm, int s, float[] x, int k, FloatVector acc) {
        for (int i = 0; i < 4; i++) {
            int hi = i >> 1;
            acc = nibbles(bytes(w, qs + 16 * (i & 1)), 4 * hi, sm[s + 2 * hi], sm[s + 2 * hi + 1], x, k + 16 * i, acc);
        }
        return acc;
    }

    /** acc + (the nibbles at bit {@code shift} of 16 bytes, as (d·scale)·q − dmin·min) times x[k .. k + 16). */
    private static FloatVector nibbles(ByteVector q, int shift, float d, float m, float[] x, int k, FloatVector acc) {
        for (int j = 0; j < PARTS; j++) {
            IntVector qi = (IntVector) q.convertShape(VectorOperators.B2I, INTS, j);
            FloatVector v = ((FloatVector) qi.lanewise(VectorOperators.ASHR, shift).and(15)
                    .convert(VectorOperators.I2F, 0)).mul(d).sub(m);
            acc = v.fma(FloatVector.fromArray(S, x, k + W * j), acc);
        }
        return acc;
    }
}

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
 * 2g + half of qh[l]; weight = (d·scale)·q − dmin·min. Single tokens go through the expanded tile.
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
                        IntVector lo = qi.and(15).or(fifth(hi, 2 * g));
                        IntVector up = qi.lanewise(VectorOperators.ASHR, 4).and(15).or(fifth(hi, 2 * g + 1));
                        ((FloatVector) lo.convert(VectorOperators.I2F, 0)).mul(dl).sub(ml)
                                .intoArray(dst, o + 16 * h + W * j);
                        ((FloatVector) up.convert(VectorOperators.I2F, 0)).mul(dh).sub(mh)
                                .intoArray(dst, o + 32 + 16 * h + W * j);
                    }
                }
            }
        }
    }

    /** Bit k of each lane, as 16 or 0. */
    private static IntVector fifth(IntVector qh, int k) {
        return qh.lanewise(VectorOperators.ASHR, k).and(1).lanewise(VectorOperators.LSHL, 4);
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

    @Override
    boolean fusedDecode() {
        return false;
    }
}

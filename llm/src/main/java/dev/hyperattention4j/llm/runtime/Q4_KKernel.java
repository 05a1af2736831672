package dev.hyperattention4j.llm.runtime;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Q4_K: super-blocks of 256 = f16 d, f16 dmin, 12 bytes of eight 6-bit (scale, min) pairs, 128 bytes of 4-bit q.
 * Group g (64 weights) is bytes 32g..32g+31: their low nibbles are sub-block 2g, their high nibbles sub-block 2g+1;
 * weight = (d·scale)·q − dmin·min, as the reference decoder computes it.
 */
final class Q4_KKernel extends BlockKernel {
    static final Q4_KKernel INSTANCE = new Q4_KKernel();
    private static final int BYTES = 144;

    /** Scale (even index) and min (odd index) of sub-block j, from the 12 packed bytes at p + 4. */
    static void scales(MemorySegment w, long p, float d, float dmin, float[] out) {
        for (int j = 0; j < 8; j++) {
            int sc, m;
            if (j < 4) {
                sc = w.get(I8, p + 4 + j) & 63;
                m = w.get(I8, p + 4 + j + 4) & 63;
            } else {
                int hi = w.get(I8, p + 4 + j + 4) & 0xff;
                sc = (hi & 0x0f) | ((w.get(I8, p + 4 + j - 4) & 0xff) >>> 6) << 4;
                m = (hi >>> 4) | ((w.get(I8, p + 4 + j) & 0xff) >>> 6) << 4;
            }
            out[2 * j] = d * sc;
            out[2 * j + 1] = dmin * m;
        }
    }

    @Override
    void expand(MemorySegment w, long row, int cols, float[] dst, int off) {
        float[] sm = new float[16];
        for (int b = 0; b < cols / 256; b++) {
            long p = row + (long) BYTES * b;
            scales(w, p, half(w, p), half(w, p + 2), sm);
            for (int g = 0; g < 4; g++) {
                int o = off + 256 * b + 64 * g;
                ByteVector q0 = bytes(w, p + 16 + 32 * g), q1 = bytes(w, p + 32 + 32 * g);
                float dl = sm[4 * g], ml = sm[4 * g + 1], dh = sm[4 * g + 2], mh = sm[4 * g + 3];
                ByteVector l0 = q0.and((byte) 0x0f), l1 = q1.and((byte) 0x0f);
                ByteVector h0 = q0.lanewise(VectorOperators.LSHR, 4), h1 = q1.lanewise(VectorOperators.LSHR, 4);
                for (int j = 0; j < PARTS; j++) {
                    widen(l0, j).mul(dl).sub(ml).intoArray(dst, o + W * j);
                    widen(l1, j).mul(dl).sub(ml).intoArray(dst, o + 16 + W * j);
                    widen(h0, j).mul(dh).sub(mh).intoArray(dst, o + 32 + W * j);
                    widen(h1, j).mul(dh).sub(mh).intoArray(dst, o + 48 + W * j);
                }
            }
        }
    }

    @Override
    void expandScalar(MemorySegment w, long row, int cols, float[] dst, int off) {
        float[] sm = new float[16];
        for (int b = 0; b < cols / 256; b++) {
            long p = row + (long) BYTES * b;
            scales(w, p, half(w, p), half(w, p + 2), sm);
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

    @Override
    boolean fusedDecode() {
        return false;
    }

    @Override
    void dot(MemorySegment w, long row, long rowBytes, int n, float[] x, int xOff, int cols, float[] out, int outOff,
             float[] lanes) {
        float[] sm = new float[16];
        for (int r = 0; r < n; r++) {
            FloatVector a = FloatVector.zero(S);
            for (int b = 0; b < cols / 256; b++) {
                long p = row + r * rowBytes + (long) BYTES * b;
                scales(w, p, half(w, p), half(w, p + 2), sm);
                a = superBlock(w, p, sm, x, xOff + 256 * b, a);
            }
            a.intoArray(lanes, 0);
            out[outOff + r] = Vectors.sumLanes(lanes, 0);
        }
    }

    private static FloatVector superBlock(MemorySegment w, long p, float[] sm, float[] x, int k, FloatVector acc) {
        for (int g = 0; g < 4; g++) {
            int o = k + 64 * g;
            ByteVector q0 = bytes(w, p + 16 + 32 * g), q1 = bytes(w, p + 32 + 32 * g);
            float dl = sm[4 * g], ml = sm[4 * g + 1], dh = sm[4 * g + 2], mh = sm[4 * g + 3];
            ByteVector l0 = q0.and((byte) 0x0f), l1 = q1.and((byte) 0x0f);
            ByteVector h0 = q0.lanewise(VectorOperators.LSHR, 4), h1 = q1.lanewise(VectorOperators.LSHR, 4);
            for (int j = 0; j < PARTS; j++) {
                acc = widen(l0, j).mul(dl).sub(ml).fma(FloatVector.fromArray(S, x, o + W * j), acc);
            }
            for (int j = 0; j < PARTS; j++) {
                acc = widen(l1, j).mul(dl).sub(ml).fma(FloatVector.fromArray(S, x, o + 16 + W * j), acc);
            }
            for (int j = 0; j < PARTS; j++) {
                acc = widen(h0, j).mul(dh).sub(mh).fma(FloatVector.fromArray(S, x, o + 32 + W * j), acc);
            }
            for (int j = 0; j < PARTS; j++) {
                acc = widen(h1, j).mul(dh).sub(mh).fma(FloatVector.fromArray(S, x, o + 48 + W * j), acc);
            }
        }
        return acc;
    }
}

package dev.hyperattention4j.llm.runtime;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
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

    /** Quants 32j + l0 .. + 15 of a half, from a = ql[l0..], b = ql[32 + l0..], h = qh[l0..], as signed bytes. */
    private static ByteVector quant(int j, ByteVector a, ByteVector b, ByteVector h) {
        ByteVector low = switch (j) {
            case 0 -> a.and((byte) 0x0f);
            case 1 -> b.and((byte) 0x0f);
            case 2 -> a.lanewise(VectorOperators.LSHR, 4);
            default -> b.lanewise(VectorOperators.LSHR, 4);
        };
        ByteVector high = h.lanewise(VectorOperators.LSHR, 2 * j).and((byte) 3).lanewise(VectorOperators.LSHL, 4);
        return low.or(high).sub((byte) 32);
    }

    @Override
    void expand(MemorySegment w, long row, int cols, float[] dst, int off) {
        for (int b = 0; b < cols / 256; b++) {
            long p = row + (long) BYTES * b;
            float d = half(w, p + 208);
            for (int n = 0; n < 2; n++) {
                long ql = p + 64 * n, qh = p + 128 + 32 * n, sc = p + 192 + 8 * n;
                for (int j = 0; j < 4; j++) {
                    for (int h = 0; h < 2; h++) {
                        ByteVector q = quant(j, bytes(w, ql + 16 * h), bytes(w, ql + 32 + 16 * h), bytes(w, qh + 16 * h));
                        float ds = d * w.get(I8, sc + 2 * j + h);
                        int o = off + 256 * b + 128 * n + 32 * j + 16 * h;
                        for (int part = 0; part < PARTS; part++) {
                            widen(q, part).mul(ds).intoArray(dst, o + W * part);
                        }
                    }
                }
            }
        }
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
                    int[] q = {(a & 0x0f) | (h & 3) << 4, (c & 0x0f) | (h >>> 2 & 3) << 4, (a >>> 4) | (h >>> 4 & 3) << 4,
                            (c >>> 4) | (h >>> 6 & 3) << 4};
                    for (int j = 0; j < 4; j++) {
                        float ds = d * w.get(I8, sc + 2 * j + l / 16);
                        dst[off + 256 * b + 128 * n + 32 * j + l] = (float) (q[j] - 32) * ds;
                    }
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
        for (int r = 0; r < n; r++) {
            FloatVector a = FloatVector.zero(S);
            for (int b = 0; b < cols / 256; b++) {
                a = superBlock(w, row + r * rowBytes + (long) BYTES * b, x, xOff + 256 * b, a);
            }
            a.intoArray(lanes, 0);
            out[outOff + r] = Vectors.sumLanes(lanes, 0);
        }
    }

    private static FloatVector superBlock(MemorySegment w, long p, float[] x, int k, FloatVector acc) {
        float d = half(w, p + 208);
        for (int n = 0; n < 2; n++) {
            long ql = p + 64 * n, qh = p + 128 + 32 * n, sc = p + 192 + 8 * n;
            ByteVector a0 = bytes(w, ql), a1 = bytes(w, ql + 16), b0 = bytes(w, ql + 32), b1 = bytes(w, ql + 48);
            ByteVector h0 = bytes(w, qh), h1 = bytes(w, qh + 16);
            for (int j = 0; j < 4; j++) {
                int o = k + 128 * n + 32 * j;
                ByteVector q = quant(j, a0, b0, h0);
                float ds = d * w.get(I8, sc + 2 * j);
                for (int part = 0; part < PARTS; part++) {
                    acc = widen(q, part).mul(ds).fma(FloatVector.fromArray(S, x, o + W * part), acc);
                }
                q = quant(j, a1, b1, h1);
                ds = d * w.get(I8, sc + 2 * j + 1);
                for (int part = 0; part < PARTS; part++) {
                    acc = widen(q, part).mul(ds).fma(FloatVector.fromArray(S, x, o + 16 + W * part), acc);
                }
            }
        }
        return acc;
    }
}

package dev.hyperattention4j.llm.testing;

import dev.hyperattention4j.llm.format.io.BinaryReader;
import dev.hyperattention4j.llm.model.DType;
import dev.hyperattention4j.llm.model.WeightTensor;
import dev.hyperattention4j.llm.quantize.TensorEncoder;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Test-side encoders and a reference dequantiser for the five weight encodings (ggml's block layouts):
 * Q8_0 = f16 scale d = amax/127 + 32 int8; Q4_0 = f16 scale d = max/-8 (max: the value of largest magnitude, with
 * its sign) + 16 bytes whose low nibbles are elements 0..15 and high nibbles 16..31, each stored as q + 8.
 */
public final class Quant {
    private Quant() {}

    /**
     * Encodes row-major values (row length a multiple of the block size for quantised types). The five original
     * types use the encoders below; the other quantised types use the runtime's {@link TensorEncoder} (decoders are
     * checked against {@link ReferenceBlocks}, encoders by the golden files).
     */
    public static byte[] encode(float[] values, DType type) {
        if (!java.util.Set.of(DType.F32, DType.F16, DType.BF16, DType.Q8_0, DType.Q4_0).contains(type)) {
            return TensorEncoder.encode(values, type);
        }
        ByteBuffer out = ByteBuffer.allocate((int) type.bytesFor(values.length)).order(ByteOrder.LITTLE_ENDIAN);
        switch (type) {
            case F32 -> { for (float v : values) out.putFloat(v); }
            case F16 -> { for (float v : values) out.putShort(Float.floatToFloat16(v)); }
            case BF16 -> { for (float v : values) out.putShort(toBf16(v)); }
            case Q8_0 -> {
                for (int b = 0; b < values.length; b += 32) {
                    float amax = 0;
                    for (int j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(values[b + j]));
                    float d = amax / 127f;
                    float id = d != 0 ? 1f / d : 0f;
                    out.putShort(Float.floatToFloat16(d));
                    for (int j = 0; j < 32; j++) out.put((byte) Math.round(values[b + j] * id));
                }
            }
            case Q4_0 -> {
                for (int b = 0; b < values.length; b += 32) {
                    float amax = 0, max = 0;
                    for (int j = 0; j < 32; j++) {
                        if (Math.abs(values[b + j]) > amax) {
                            amax = Math.abs(values[b + j]);
                            max = values[b + j];
                        }
                    }
                    float d = max / -8f;
                    float id = d != 0 ? 1f / d : 0f;
                    out.putShort(Float.floatToFloat16(d));
                    for (int j = 0; j < 16; j++) {
                        int lo = Math.min(15, (int) (values[b + j] * id + 8.5f));
                        int hi = Math.min(15, (int) (values[b + 16 + j] * id + 8.5f));
                        out.put((byte) (lo | hi << 4));
                    }
                }
            }
            default -> throw new IllegalStateException("handled by TensorEncoder: " + type);
        }
        return out.array();
    }

    /** BF16 with round-to-nearest-even (NaN kept quiet). */
    public static short toBf16(float v) {
        int bits = Float.floatToRawIntBits(v);
        if (Float.isNaN(v)) {
            return (short) ((bits >>> 16) | 0x40);
        }
        return (short) ((bits + 0x7FFF + ((bits >>> 16) & 1)) >>> 16);
    }

    /** All values of a tensor as floats (reference implementation; kernels dequantise on the fly). */
    public static float[] toFloats(WeightTensor t) {
        MemorySegment s = t.data();
        int n = Math.toIntExact(t.elementCount());
        float[] out = new float[n];
        switch (t.type()) {
            case F32 -> { for (int i = 0; i < n; i++) out[i] = s.get(BinaryReader.FLOAT, 4L * i); }
            case F16 -> { for (int i = 0; i < n; i++) out[i] = Float.float16ToFloat(s.get(BinaryReader.SHORT, 2L * i)); }
            case BF16 -> {
                for (int i = 0; i < n; i++) out[i] = Float.intBitsToFloat(s.get(BinaryReader.SHORT, 2L * i) << 16);
            }
            case Q8_0 -> {
                for (int b = 0; b < n / 32; b++) {
                    long base = 34L * b;
                    float d = Float.float16ToFloat(s.get(BinaryReader.SHORT, base));
                    for (int j = 0; j < 32; j++) out[b * 32 + j] = d * s.get(ValueLayout.JAVA_BYTE, base + 2 + j);
                }
            }
            case Q4_0 -> {
                for (int b = 0; b < n / 32; b++) {
                    long base = 18L * b;
                    float d = Float.float16ToFloat(s.get(BinaryReader.SHORT, base));
                    for (int j = 0; j < 16; j++) {
                        int q = s.get(ValueLayout.JAVA_BYTE, base + 2 + j) & 0xFF;
                        out[b * 32 + j] = d * ((q & 0x0F) - 8);
                        out[b * 32 + 16 + j] = d * ((q >>> 4) - 8);
                    }
                }
            }
            default -> {
                byte[] bytes = s.toArray(ValueLayout.JAVA_BYTE);
                double[] v = ReferenceBlocks.decode(bytes, t.type(), n / t.type().blockSize());
                for (int i = 0; i < n; i++) out[i] = (float) v[i];
            }
        }
        return out;
    }
}

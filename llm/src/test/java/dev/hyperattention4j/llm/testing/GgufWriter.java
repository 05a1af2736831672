package dev.hyperattention4j.llm.testing;

import dev.hyperattention4j.llm.format.gguf.GgmlType;
import dev.hyperattention4j.llm.format.gguf.GgufValueType;
import dev.hyperattention4j.llm.model.DType;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A small GGUF (v2/v3, little-endian) writer for tests: typed metadata, tensors given already encoded (see
 * {@link Quant#encode}), the alignment rule. It writes exactly what it is told, so tests can also build broken
 * files (see {@link #rawMetadata} and {@link #rawTensorInfo}).
 */
public final class GgufWriter {
    private record Kv(String key, byte[] encoded) {}

    private record Tensor(String name, long[] shapeOuterFirst, int ggmlType, byte[] data) {}

    private final int version;
    private int alignment = 32;
    private final List<Kv> metadata = new ArrayList<>();
    private final List<Tensor> tensors = new ArrayList<>();
    private final List<byte[]> rawTensorInfos = new ArrayList<>();
    private Long tensorCountOverride;
    private Long kvCountOverride;

    public GgufWriter(int version) { this.version = version; }

    public GgufWriter() { this(3); }

    // ------------------------------------------------------------------ metadata

    public GgufWriter putString(String key, String value) { return put(key, GgufValueType.STRING, value); }

    public GgufWriter putUInt32(String key, long value) { return put(key, GgufValueType.UINT32, value); }

    public GgufWriter putInt32(String key, int value) { return put(key, GgufValueType.INT32, value); }

    public GgufWriter putFloat32(String key, float value) { return put(key, GgufValueType.FLOAT32, value); }

    public GgufWriter putBool(String key, boolean value) { return put(key, GgufValueType.BOOL, value); }

    /** Sets general.alignment (as uint32) and uses it for the data section. */
    public GgufWriter alignment(int value) {
        alignment = value;
        return putUInt32("general.alignment", value);
    }

    /** A scalar of any type; numbers are given as Number, booleans as Boolean, strings as String. */
    public GgufWriter put(String key, GgufValueType type, Object value) {
        Buf b = new Buf();
        b.string(key);
        b.i32(type.id());
        b.value(type, value);
        metadata.removeIf(kv -> kv.key().equals(key)); // setting a key again replaces it
        metadata.add(new Kv(key, b.bytes()));
        return this;
    }

    /** An array; {@code values} is a List of element values (Lists again for nested arrays). */
    public GgufWriter putArray(String key, GgufValueType elementType, List<?> values) {
        Buf b = new Buf();
        b.string(key);
        b.i32(GgufValueType.ARRAY.id());
        b.array(elementType, values);
        metadata.removeIf(kv -> kv.key().equals(key));
        metadata.add(new Kv(key, b.bytes()));
        return this;
    }

    /** Appends arbitrary bytes as one key/value (for malformed-file tests). */
    public GgufWriter rawMetadata(byte[] encodedKeyValue) {
        metadata.add(new Kv("<raw>", encodedKeyValue));
        return this;
    }

    // ------------------------------------------------------------------ tensors

    /** A tensor whose data is already encoded in {@code type}; shape outermost first as in PyTorch. */
    public GgufWriter addTensor(String name, DType type, long[] shape, byte[] data) {
        return addTensor(name, GgmlType.of(type), shape, data);
    }

    public GgufWriter addTensor(String name, int ggmlType, long[] shape, byte[] data) {
        tensors.add(new Tensor(name, shape, ggmlType, data));
        return this;
    }

    public GgufWriter addTensor(String name, DType type, long[] shape, float[] values) {
        return addTensor(name, type, shape, Quant.encode(values, type));
    }

    /** Declares a different shape for an added tensor, keeping its data (malformed-file tests). */
    public GgufWriter reshape(String name, long[] shape) {
        for (int i = 0; i < tensors.size(); i++) {
            Tensor t = tensors.get(i);
            if (t.name().equals(name)) {
                tensors.set(i, new Tensor(name, shape, t.ggmlType(), t.data()));
                return this;
            }
        }
        throw new IllegalArgumentException("no tensor " + name);
    }

    /** Appends a hand-made tensor-info record (name, dims, type, offset) with no data of its own. */
    public GgufWriter rawTensorInfo(byte[] info) {
        rawTensorInfos.add(info);
        return this;
    }

    /** Lies about the counts in the header (malformed-file tests). */
    public GgufWriter counts(Long tensorCount, Long kvCount) {
        tensorCountOverride = tensorCount;
        kvCountOverride = kvCount;
        return this;
    }

    // ------------------------------------------------------------------ output

    public byte[] toBytes() {
        Buf b = new Buf();
        b.raw("GGUF".getBytes(StandardCharsets.US_ASCII));
        b.i32(version);
        b.i64(tensorCountOverride != null ? tensorCountOverride : tensors.size() + rawTensorInfos.size());
        b.i64(kvCountOverride != null ? kvCountOverride : metadata.size());
        for (Kv kv : metadata) {
            b.raw(kv.encoded());
        }
        long offset = 0;
        long[] offsets = new long[tensors.size()];
        for (int i = 0; i < tensors.size(); i++) {
            Tensor t = tensors.get(i);
            offsets[i] = offset;
            b.string(t.name());
            b.i32(t.shapeOuterFirst().length);
            for (int d = t.shapeOuterFirst().length - 1; d >= 0; d--) {
                b.i64(t.shapeOuterFirst()[d]); // GGUF: innermost dimension first
            }
            b.i32(t.ggmlType());
            b.i64(offset);
            offset = align(offset + t.data().length, alignment);
        }
        for (byte[] raw : rawTensorInfos) {
            b.raw(raw);
        }
        b.pad(alignment);
        for (int i = 0; i < tensors.size(); i++) {
            b.raw(tensors.get(i).data());
            b.pad(alignment);
        }
        return b.bytes();
    }

    public Path write(Path file) throws IOException {
        try (OutputStream out = Files.newOutputStream(file)) {
            out.write(toBytes());
        }
        return file;
    }

    static long align(long x, int alignment) { return (x + alignment - 1) / alignment * alignment; }

    /** Little-endian byte builder with GGUF's string and value encodings. */
    public static final class Buf {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();
        private final ByteBuffer scratch = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);

        public Buf raw(byte[] b) { out.writeBytes(b); return this; }

        public Buf u8(int v) { out.write(v); return this; }

        public Buf i16(int v) { scratch.clear(); scratch.putShort((short) v); out.write(scratch.array(), 0, 2); return this; }

        public Buf i32(int v) { scratch.clear(); scratch.putInt(v); out.write(scratch.array(), 0, 4); return this; }

        public Buf i64(long v) { scratch.clear(); scratch.putLong(v); out.write(scratch.array(), 0, 8); return this; }

        public Buf f32(float v) { return i32(Float.floatToRawIntBits(v)); }

        public Buf f64(double v) { return i64(Double.doubleToRawLongBits(v)); }

        public Buf string(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            i64(b.length);
            return raw(b);
        }

        public Buf pad(int alignment) {
            while (out.size() % alignment != 0) {
                out.write(0);
            }
            return this;
        }

        public Buf value(GgufValueType type, Object v) {
            switch (type) {
                case UINT8, INT8 -> u8(((Number) v).intValue());
                case UINT16, INT16 -> i16(((Number) v).intValue());
                case UINT32, INT32 -> i32((int) ((Number) v).longValue());
                case UINT64, INT64 -> i64(((Number) v).longValue());
                case FLOAT32 -> f32(((Number) v).floatValue());
                case FLOAT64 -> f64(((Number) v).doubleValue());
                case BOOL -> u8((Boolean) v ? 1 : 0);
                case STRING -> string((String) v);
                case ARRAY -> throw new IllegalArgumentException("use array()");
            }
            return this;
        }

        /** Element type, count, elements; nested arrays are Lists of {@code [GgufValueType, List]} pairs. */
        public Buf array(GgufValueType elementType, List<?> values) {
            i32(elementType.id());
            i64(values.size());
            for (Object v : values) {
                if (elementType == GgufValueType.ARRAY) {
                    List<?> pair = (List<?>) v;
                    array((GgufValueType) pair.get(0), (List<?>) pair.get(1));
                } else {
                    value(elementType, v);
                }
            }
            return this;
        }

        public byte[] bytes() { return out.toByteArray(); }
    }
}

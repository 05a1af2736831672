package dev.hyperattention4j.llm.format.gguf;

import dev.hyperattention4j.llm.model.DType;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a GGUF v3 file (the layout {@link GgufFile} reads): header, typed metadata, tensor infos, padding to the
 * alignment (32, the default, so no {@code general.alignment} key is written), then each tensor's data padded to
 * the alignment. Tensor data is produced when the file is written, one tensor at a time, so a model larger than
 * the heap can be converted. The file is written under a temporary name and moved into place at the end: a failed
 * conversion leaves no half-written model behind.
 */
public final class GgufWriter {
    /** Produces exactly the tensor's bytes ({@code type.bytesFor(elements)} of them). */
    @FunctionalInterface
    public interface TensorData {
        void writeTo(OutputStream out) throws IOException;
    }

    private record Tensor(String name, DType type, long[] shape, long bytes, TensorData data) {}

    private static final int ALIGNMENT = GgufFile.DEFAULT_ALIGNMENT;

    private final Map<String, GgufMetadata.Entry> metadata = new LinkedHashMap<>();
    private final List<Tensor> tensors = new ArrayList<>();

    // ------------------------------------------------------------------ metadata

    public GgufWriter putString(String key, String value) { return put(key, GgufValueType.STRING, value); }

    public GgufWriter putUInt32(String key, long value) { return put(key, GgufValueType.UINT32, value); }

    public GgufWriter putInt32(String key, int value) { return put(key, GgufValueType.INT32, value); }

    public GgufWriter putFloat32(String key, float value) { return put(key, GgufValueType.FLOAT32, value); }

    public GgufWriter putBool(String key, boolean value) { return put(key, GgufValueType.BOOL, value); }

    public GgufWriter putStrings(String key, String[] values) {
        return putEntry(key, new GgufMetadata.Entry(GgufValueType.ARRAY, GgufValueType.STRING, values));
    }

    public GgufWriter putFloats(String key, float[] values) {
        return putEntry(key, new GgufMetadata.Entry(GgufValueType.ARRAY, GgufValueType.FLOAT32, values));
    }

    public GgufWriter putInts(String key, int[] values) {
        return putEntry(key, new GgufMetadata.Entry(GgufValueType.ARRAY, GgufValueType.INT32, values));
    }

    /** A scalar: numbers as Number, booleans as Boolean, strings as String. Setting a key again replaces it. */
    public GgufWriter put(String key, GgufValueType type, Object value) {
        if (type == GgufValueType.ARRAY) {
            throw new IllegalArgumentException(key + ": arrays go through putEntry or the typed array setters");
        }
        return putEntry(key, new GgufMetadata.Entry(type, null, value));
    }

    /** A value as {@link GgufFile} reads it (arrays as Java arrays), e.g. copied from another file. */
    /**
     * The hyper-parameter keys every Llama-like architecture of the GGUF ecosystem reads, under {@code arch}: block
     * count, context, embedding and feed-forward lengths, head counts, RoPE base and RMS-norm epsilon.
     */
    public GgufWriter putHyperparameters(String arch, dev.hyperattention4j.llm.model.ModelConfig c) {
        putUInt32(arch + ".block_count", c.layers());
        putUInt32(arch + ".context_length", c.contextLength());
        putUInt32(arch + ".embedding_length", c.dim());
        putUInt32(arch + ".feed_forward_length", c.hiddenDim());
        putUInt32(arch + ".attention.head_count", c.heads());
        putUInt32(arch + ".attention.head_count_kv", c.kvHeads());
        putFloat32(arch + ".rope.freq_base", c.ropeTheta());
        return putFloat32(arch + ".attention.layer_norm_rms_epsilon", c.normEps());
    }

    public GgufWriter putEntry(String key, GgufMetadata.Entry entry) {
        if (key.isBlank()) {
            throw new IllegalArgumentException("metadata keys must not be blank");
        }
        metadata.put(key, entry);
        return this;
    }

    public boolean has(String key) { return metadata.containsKey(key); }

    // ------------------------------------------------------------------ tensors

    /** A tensor of the given type and shape (outermost first), its bytes produced by {@code data} at write time. */
    public GgufWriter addTensor(String name, DType type, long[] shape, TensorData data) {
        long elements = 1;
        for (long d : shape) {
            elements = Math.multiplyExact(elements, d);
        }
        if (shape[shape.length - 1] % type.blockSize() != 0) {
            throw new IllegalArgumentException(name + ": row length " + shape[shape.length - 1]
                    + " is not a multiple of the " + type + " block size " + type.blockSize());
        }
        for (Tensor t : tensors) {
            if (t.name().equals(name)) {
                throw new IllegalArgumentException("duplicate tensor " + name);
            }
        }
        tensors.add(new Tensor(name, type, shape.clone(), type.bytesFor(elements), data));
        return this;
    }

    /** An already-encoded tensor. */
    public GgufWriter addTensor(String name, DType type, long[] shape, byte[] encoded) {
        return addTensor(name, type, shape, out -> out.write(encoded));
    }

    // ------------------------------------------------------------------ output

    /** Writes the file (through a temporary sibling, moved into place when complete). */
    public void write(Path file) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        Path tmp = Files.createTempFile(parent, file.getFileName().toString(), ".part");
        try {
            try (CountingStream out = new CountingStream(new BufferedOutputStream(Files.newOutputStream(tmp),
                    1 << 20))) {
                writeTo(out);
            }
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private void writeTo(CountingStream out) throws IOException {
        out.raw("GGUF".getBytes(StandardCharsets.US_ASCII));
        out.i32(3);
        out.i64(tensors.size());
        out.i64(metadata.size());
        for (Map.Entry<String, GgufMetadata.Entry> e : metadata.entrySet()) {
            out.string(e.getKey());
            out.i32(e.getValue().type().id());
            if (e.getValue().type() == GgufValueType.ARRAY) {
                array(out, e.getValue().elementType(), e.getValue().value());
            } else {
                scalar(out, e.getValue().type(), e.getValue().value());
            }
        }
        long offset = 0;
        for (Tensor t : tensors) {
            out.string(t.name());
            out.i32(t.shape().length);
            for (int d = t.shape().length - 1; d >= 0; d--) {
                out.i64(t.shape()[d]); // GGUF lists the innermost dimension first
            }
            out.i32(GgmlType.of(t.type()));
            out.i64(offset);
            offset = align(offset + t.bytes());
        }
        out.pad();
        for (Tensor t : tensors) {
            long before = out.count;
            t.data().writeTo(out);
            if (out.count - before != t.bytes()) {
                throw new IllegalStateException("tensor " + t.name() + " produced " + (out.count - before)
                        + " bytes, its " + t.type() + " shape needs " + t.bytes());
            }
            out.pad();
        }
    }

    private static void scalar(CountingStream out, GgufValueType type, Object v) throws IOException {
        switch (type) {
            case UINT8, INT8 -> out.write(((Number) v).intValue());
            case UINT16, INT16 -> out.i16(((Number) v).intValue());
            case UINT32, INT32 -> out.i32((int) ((Number) v).longValue());
            case UINT64, INT64 -> out.i64(((Number) v).longValue());
            case FLOAT32 -> out.i32(Float.floatToRawIntBits(((Number) v).floatValue()));
            case FLOAT64 -> out.i64(Double.doubleToRawLongBits(((Number) v).doubleValue()));
            case BOOL -> out.write((Boolean) v ? 1 : 0);
            case STRING -> out.string((String) v);
            case ARRAY -> throw new IllegalArgumentException("nested value is not a scalar");
        }
    }

    /** Arrays in the Java forms GgufFile produces (byte[], short[], int[], long[], float[], ...). */
    private static void array(CountingStream out, GgufValueType element, Object values) throws IOException {
        out.i32(element.id());
        switch (values) {
            case byte[] a -> { out.i64(a.length); out.raw(a); }
            case short[] a -> { out.i64(a.length); for (short v : a) out.i16(v); }
            case int[] a -> { out.i64(a.length); for (int v : a) out.i32(v); }
            case long[] a -> { out.i64(a.length); for (long v : a) out.i64(v); }
            case float[] a -> { out.i64(a.length); for (float v : a) out.i32(Float.floatToRawIntBits(v)); }
            case double[] a -> { out.i64(a.length); for (double v : a) out.i64(Double.doubleToRawLongBits(v)); }
            case boolean[] a -> { out.i64(a.length); for (boolean v : a) out.write(v ? 1 : 0); }
            case String[] a -> { out.i64(a.length); for (String v : a) out.string(v); }
            default -> throw new IllegalArgumentException("unsupported array value " + values.getClass());
        }
    }

    static long align(long x) { return (x + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT; }

    /** A little-endian output stream that counts its bytes (for offsets and padding). */
    private static final class CountingStream extends OutputStream {
        private final OutputStream out;
        private final ByteBuffer scratch = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        long count;

        CountingStream(OutputStream out) { this.out = out; }

        @Override
        public void write(int b) throws IOException {
            out.write(b);
            count++;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
            count += len;
        }

        @Override
        public void close() throws IOException { out.close(); }

        void raw(byte[] b) throws IOException { write(b, 0, b.length); }

        void i16(int v) throws IOException { scratch.clear(); scratch.putShort((short) v); write(scratch.array(), 0, 2); }

        void i32(int v) throws IOException { scratch.clear(); scratch.putInt(v); write(scratch.array(), 0, 4); }

        void i64(long v) throws IOException { scratch.clear(); scratch.putLong(v); write(scratch.array(), 0, 8); }

        void string(String s) throws IOException {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            i64(b.length);
            raw(b);
        }

        void pad() throws IOException {
            while (count % ALIGNMENT != 0) {
                write(0);
            }
        }
    }
}

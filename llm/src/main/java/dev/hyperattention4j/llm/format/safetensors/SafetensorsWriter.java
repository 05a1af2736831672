package dev.hyperattention4j.llm.format.safetensors;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hyperattention4j.llm.format.io.Json;
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
import java.util.List;
import java.util.Map;

/**
 * Writes a safetensors file from float32 arrays, stored as F32 or BF16 (round to nearest even): an 8-byte
 * little-endian header length, the JSON header ({@code name → dtype, shape, data_offsets}, {@code __metadata__}),
 * padded with spaces to a multiple of 8 bytes as the reference writer does, then the tensors' bytes in order. The
 * file is written next to its destination and moved over it, so a crash never leaves a half-written file under
 * the final name.
 */
public final class SafetensorsWriter {
    /** How a tensor is stored. */
    public enum Encoding { F32, BF16 }

    private record Entry(String name, long[] shape, float[] data, Encoding encoding) {
    }

    private final List<Entry> entries = new ArrayList<>();
    private final Map<String, String> metadata;

    /** @param metadata string pairs for {@code __metadata__} (Hugging Face writes {"format": "pt"}) */
    public SafetensorsWriter(Map<String, String> metadata) {
        this.metadata = Map.copyOf(metadata);
    }

    /** Adds a tensor; {@code data} must hold the product of {@code shape} values and is read when writing. */
    public SafetensorsWriter add(String name, long[] shape, float[] data, Encoding encoding) {
        long n = 1;
        for (long s : shape) {
            n *= s;
        }
        if (n != data.length) {
            throw new IllegalArgumentException("tensor " + name + " has " + data.length + " values for shape "
                    + java.util.Arrays.toString(shape));
        }
        entries.add(new Entry(name, shape.clone(), data, encoding));
        return this;
    }

    public void write(Path file) throws IOException {
        ObjectNode header = Json.MAPPER.createObjectNode();
        ObjectNode meta = header.putObject("__metadata__");
        metadata.forEach(meta::put);
        long offset = 0;
        for (Entry e : entries) {
            long bytes = (long) e.data().length * (e.encoding() == Encoding.F32 ? 4 : 2);
            putTensor(header, e.name(), e.encoding().name(), e.shape(), offset, bytes);
            offset += bytes;
        }
        byte[] json = Json.MAPPER.writeValueAsString(header).getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;
        Path tmp = file.resolveSibling(file.getFileName() + ".partial");
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 20)) {
            ByteBuffer b = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
            b.putLong(padded);
            out.write(b.array(), 0, 8);
            out.write(json);
            for (int i = json.length; i < padded; i++) {
                out.write(' ');
            }
            for (Entry e : entries) {
                float[] d = e.data();
                int per = e.encoding() == Encoding.F32 ? 4 : 2;
                for (int i = 0; i < d.length; ) {
                    b.clear();
                    for (; i < d.length && b.remaining() >= per; i++) {
                        if (per == 4) {
                            b.putFloat(d[i]);
                        } else {
                            b.putShort(bf16(d[i]));
                        }
                    }
                    out.write(b.array(), 0, b.position());
                }
            }
        }
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /**
     * Adds one tensor's header entry: {@code name → {dtype, shape, data_offsets: [offset, offset + bytes]}}, the
     * offsets relative to the start of the data.
     */
    public static void putTensor(ObjectNode header, String name, String dtype, long[] shape, long offset, long bytes) {
        ObjectNode n = header.putObject(name);
        n.put("dtype", dtype);
        var dims = n.putArray("shape");
        for (long s : shape) {
            dims.add(s);
        }
        n.putArray("data_offsets").add(offset).add(offset + bytes);
    }

    /** float32 → bfloat16, rounding to nearest even (NaN stays a quiet NaN). */
    static short bf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if (Float.isNaN(f)) {
            return (short) ((bits >>> 16) | 0x40);
        }
        int rounded = bits + 0x7FFF + ((bits >>> 16) & 1);
        return (short) (rounded >>> 16);
    }
}

package dev.hyperattention4j.llm.testing;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hyperattention4j.llm.model.DType;
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
 * Writes a safetensors file (uint64 header length, JSON header, data) from F32/F16/BF16 tensors, for tests: unlike
 * the library's writer it stores F16, and a test may edit the header before writing (malformed files).
 */
public final class SafetensorsWriter {
    private record Tensor(String name, DType type, long[] shape, byte[] data) {}

    private final List<Tensor> tensors = new ArrayList<>();
    private final ObjectMapper json = new ObjectMapper();

    public SafetensorsWriter add(String name, DType type, long[] shape, float[] values) {
        tensors.add(new Tensor(name, type, shape, Quant.encode(values, type)));
        return this;
    }

    public List<String> names() { return tensors.stream().map(Tensor::name).toList(); }

    /** The header as a JSON tree (tests may edit it before {@link #write(Path, ObjectNode)}). */
    public ObjectNode header() {
        ObjectNode root = json.createObjectNode();
        root.putObject("__metadata__").put("format", "pt");
        long offset = 0;
        for (Tensor t : tensors) {
            dev.hyperattention4j.llm.format.safetensors.SafetensorsWriter.putTensor(root, t.name(), t.type().name(),
                    t.shape(), offset, t.data().length);
            offset += t.data().length;
        }
        return root;
    }

    public Path write(Path file) throws IOException { return write(file, header()); }

    public Path write(Path file, ObjectNode header) throws IOException {
        byte[] head = json.writeValueAsString(header).getBytes(StandardCharsets.UTF_8);
        try (OutputStream out = Files.newOutputStream(file)) {
            out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(head.length).array());
            out.write(head);
            for (Tensor t : tensors) {
                out.write(t.data());
            }
        }
        return file;
    }
}

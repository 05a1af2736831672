package dev.hyperattention4j.llm.format.safetensors;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hyperattention4j.llm.format.io.BinaryReader;
import dev.hyperattention4j.llm.format.io.DisjointRanges;
import dev.hyperattention4j.llm.format.io.Json;
import dev.hyperattention4j.llm.model.DType;
import dev.hyperattention4j.llm.model.ModelFormatException;
import dev.hyperattention4j.llm.model.WeightTensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Parses one mapped safetensors file: a little-endian uint64 header length N, N bytes of JSON
 * ({@code name → {dtype, shape, data_offsets: [begin, end]}} plus an optional {@code __metadata__} object of
 * strings), then the data, with offsets relative to byte 8 + N. Every offset and size is checked against the file
 * before a tensor view is made, and each tensor's byte length must equal its shape times its dtype's size.
 */
public final class SafetensorsFile {
    /** The safetensors specification caps the header at 100 MB. */
    public static final long MAX_HEADER = 100_000_000L;
    private static final ObjectMapper JSON = Json.MAPPER;

    private final Map<String, WeightTensor> tensors;
    private final Map<String, String> metadata;

    private SafetensorsFile(Map<String, WeightTensor> tensors, Map<String, String> metadata) {
        this.tensors = tensors;
        this.metadata = metadata;
    }

    /** Tensors in data order. */
    public Map<String, WeightTensor> tensors() { return tensors; }

    public Map<String, String> metadata() { return metadata; }

    /** Whether the mapped bytes look like safetensors (header length fits and the JSON starts with '{'). */
    public static boolean looksLike(MemorySegment data) {
        if (data.byteSize() < 10) {
            return false;
        }
        long n = data.get(BinaryReader.LONG, 0);
        return n >= 2 && n <= Math.min(MAX_HEADER, data.byteSize() - 8) && data.get(ValueLayout.JAVA_BYTE, 8) == '{';
    }

    public static SafetensorsFile parse(Path file, MemorySegment data) throws ModelFormatException {
        BinaryReader in = new BinaryReader(data, 0,
                (field, problem, offset) -> new SafetensorsFormatException(file, field, problem, offset));
        long headerLength = in.readLong("header length");
        if (headerLength < 2 || headerLength > MAX_HEADER || headerLength > data.byteSize() - 8) {
            throw new SafetensorsFormatException(file, "header length", "invalid value " + headerLength
                    + " for a file of " + data.byteSize() + " bytes (limit " + MAX_HEADER + ")", 0);
        }
        byte[] headerBytes = in.readBytes(headerLength, "header");
        JsonNode root;
        try {
            root = JSON.readTree(new String(headerBytes, StandardCharsets.UTF_8));
        } catch (JsonProcessingException e) {
            throw new SafetensorsFormatException(file, "header", "is not valid JSON: " + e.getOriginalMessage(), 8);
        }
        if (root == null || !root.isObject()) {
            throw new SafetensorsFormatException(file, "header", "is not a JSON object", 8);
        }
        long dataStart = 8 + headerLength;
        long dataSize = data.byteSize() - dataStart;
        Map<String, String> metadata = new LinkedHashMap<>();
        List<WeightTensor> list = new ArrayList<>();
        Map<WeightTensor, Long> begins = new java.util.IdentityHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.properties().iterator(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String name = e.getKey();
            JsonNode node = e.getValue();
            if (name.equals("__metadata__")) {
                if (node.isObject()) {
                    node.properties().forEach(m -> metadata.put(m.getKey(), m.getValue().asText()));
                }
                continue;
            }
            if (name.isBlank()) { // an error about it could not name the field
                throw new SafetensorsFormatException(file, "header", "has a tensor with a blank name", 8);
            }
            WeightTensor t = tensor(file, name, node, data, dataStart, dataSize);
            list.add(t);
            begins.put(t, t.data().address() - data.address());
        }
        DisjointRanges.require(list.stream().map(t -> new DisjointRanges.Range(t.name() + ".data_offsets",
                begins.get(t) - dataStart, t.data().byteSize(), 8)).toArray(DisjointRanges.Range[]::new),
                (field, problem, offset) -> new SafetensorsFormatException(file, field, problem, offset));
        list.sort(Comparator.comparingLong(begins::get));
        Map<String, WeightTensor> tensors = new LinkedHashMap<>();
        for (WeightTensor t : list) {
            tensors.put(t.name(), t);
        }
        return new SafetensorsFile(tensors, metadata);
    }

    private static WeightTensor tensor(Path file, String name, JsonNode node, MemorySegment data, long dataStart,
                                       long dataSize) throws SafetensorsFormatException {
        if (!node.isObject()) {
            throw new SafetensorsFormatException(file, name, "tensor entry is not an object", 8);
        }
        String dtypeName = node.path("dtype").asText("");
        DType type = switch (dtypeName) {
            case "F32" -> DType.F32;
            case "F16" -> DType.F16;
            case "BF16" -> DType.BF16;
            default -> throw new SafetensorsFormatException(file, name + ".dtype", "unsupported or unknown dtype '"
                    + dtypeName + "' (supported: F32, F16, BF16)", 8);
        };
        JsonNode shapeNode = node.path("shape");
        if (!shapeNode.isArray() || shapeNode.size() > 8) {
            throw new SafetensorsFormatException(file, name + ".shape", "must be an array of at most 8 sizes", 8);
        }
        long[] shape = new long[shapeNode.size()];
        long elements = 1;
        for (int i = 0; i < shape.length; i++) {
            JsonNode d = shapeNode.get(i);
            if (!d.canConvertToLong() || !d.isIntegralNumber() || d.asLong() < 0) {
                throw new SafetensorsFormatException(file, name + ".shape", "has an invalid size " + d, 8);
            }
            shape[i] = d.asLong();
            try {
                elements = Math.multiplyExact(elements, shape[i]);
            } catch (ArithmeticException ex) {
                throw new SafetensorsFormatException(file, name + ".shape", "element count overflows", 8);
            }
        }
        JsonNode offsets = node.path("data_offsets");
        if (!offsets.isArray() || offsets.size() != 2 || !offsets.get(0).isIntegralNumber()
                || !offsets.get(1).isIntegralNumber() || !offsets.get(0).canConvertToLong()
                || !offsets.get(1).canConvertToLong()) {
            throw new SafetensorsFormatException(file, name + ".data_offsets", "must be two integers", 8);
        }
        long begin = offsets.get(0).asLong();
        long end = offsets.get(1).asLong();
        if (begin < 0 || end < begin || end > dataSize) {
            throw new SafetensorsFormatException(file, name + ".data_offsets", "[" + begin + ", " + end
                    + "] lies outside the " + dataSize + " data bytes (truncated file or bad header)", 8);
        }
        if (elements > Long.MAX_VALUE / 4 || end - begin != elements * (type == DType.F32 ? 4 : 2)) {
            throw new SafetensorsFormatException(file, name, "holds " + (end - begin) + " bytes but shape "
                    + java.util.Arrays.toString(shape) + " of " + type + " needs " + elements * (type == DType.F32 ? 4 : 2),
                    dataStart + begin);
        }
        return new WeightTensor(name, type, shape, data.asSlice(dataStart + begin, end - begin));
    }
}

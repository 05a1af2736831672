package dev.hyperattention4j.llm.format.gguf;

import dev.hyperattention4j.llm.format.io.BinaryReader;
import dev.hyperattention4j.llm.model.DType;
import dev.hyperattention4j.llm.model.WeightTensor;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Parses a mapped GGUF v2/v3 file (little-endian). Layout, per the GGUF specification:
 * <pre>
 *   uint32 magic "GGUF"; uint32 version; uint64 tensor_count; uint64 metadata_kv_count
 *   metadata_kv_count x { gguf_string key; uint32 value_type; value }
 *   tensor_count x { gguf_string name; uint32 n_dims; uint64 ne[n_dims] (innermost first); uint32 ggml_type;
 *                    uint64 offset (relative to the data section, a multiple of the alignment) }
 *   padding to general.alignment (default 32); tensor data
 *   gguf_string = uint64 length + UTF-8 bytes (no terminator)
 * </pre>
 * Every count is checked against the bytes left in the file before anything is allocated, so a file claiming
 * 2^40 tensors or a 2^60-byte string fails at once with the offset of the lie.
 */
public final class GgufFile {
    public static final int MAGIC = 0x46554747; // "GGUF" read little-endian
    public static final int DEFAULT_ALIGNMENT = 32;
    static final int MAX_DIMS = 4;
    private static final long MAX_TENSORS = 1 << 20;
    private static final long MAX_KEYS = 1 << 20;
    private static final long MAX_STRING = 1 << 30;
    private static final int MAX_NESTING = 4;
    /** Real vocabularies have ~10^5-10^6 entries; the cap bounds the Java arrays a hostile file can request. */
    private static final long MAX_ARRAY = 1 << 24;

    private final int version;
    private final GgufMetadata metadata;
    private final Map<String, WeightTensor> tensors;
    private final long dataStart;
    private final int alignment;

    private GgufFile(int version, GgufMetadata metadata, Map<String, WeightTensor> tensors, long dataStart,
                     int alignment) {
        this.version = version;
        this.metadata = metadata;
        this.tensors = tensors;
        this.dataStart = dataStart;
        this.alignment = alignment;
    }

    public int version() { return version; }

    public GgufMetadata metadata() { return metadata; }

    /** Tensors in file order, shapes outermost first (the reverse of GGUF's ne[]). */
    public Map<String, WeightTensor> tensors() { return tensors; }

    public long dataStart() { return dataStart; }

    public int alignment() { return alignment; }

    public static GgufFile parse(Path file, MemorySegment data) throws GgufFormatException {
        BinaryReader in = new BinaryReader(data, 0,
                (field, problem, offset) -> new GgufFormatException(file, field, problem, offset));
        try {
            return parse(file, data, in);
        } catch (GgufFormatException e) {
            throw e;
        } catch (dev.hyperattention4j.llm.model.ModelFormatException e) {
            throw new GgufFormatException(file, e.field(), e.getMessage(), e.offset());
        }
    }

    private static GgufFile parse(Path file, MemorySegment data, BinaryReader in)
            throws dev.hyperattention4j.llm.model.ModelFormatException {
        int magic = in.readInt("magic");
        if (magic != MAGIC) {
            throw in.errors().error("magic", "is 0x" + Integer.toHexString(magic) + ", not \"GGUF\"", 0);
        }
        int version = in.readInt("version");
        if (version != 2 && version != 3) {
            throw in.errors().error("version", version == 1 ? "GGUF v1 (32-bit counts) is not supported"
                    : (Integer.reverseBytes(version) == 2 || Integer.reverseBytes(version) == 3)
                    ? "the file is big-endian GGUF; only little-endian is supported"
                    : "unknown version " + version + " (supported: 2, 3)", 4);
        }
        long tensorCount = in.readLong("tensor_count");
        long kvCount = in.readLong("metadata_kv_count");
        // a tensor info takes at least 8 (name length) + 4 + 8 + 4 + 8 bytes; a key/value at least 8 + 4 + 1
        if (tensorCount < 0 || tensorCount > MAX_TENSORS || tensorCount * 32 > in.remaining()) {
            throw in.errors().error("tensor_count", "implausible count " + Long.toUnsignedString(tensorCount)
                    + " for a file of " + data.byteSize() + " bytes", 8);
        }
        if (kvCount < 0 || kvCount > MAX_KEYS || kvCount * 13 > in.remaining()) {
            throw in.errors().error("metadata_kv_count", "implausible count " + Long.toUnsignedString(kvCount)
                    + " for a file of " + data.byteSize() + " bytes", 16);
        }
        GgufMetadata metadata = new GgufMetadata(file);
        for (long i = 0; i < kvCount; i++) {
            long keyAt = in.position();
            String key = readString(in, "metadata key #" + i);
            if (key.isBlank()) { // errors about it could not name the field (fuzz finding)
                throw in.errors().error("metadata key #" + i, "is blank", keyAt);
            }
            if (metadata.has(key)) {
                throw in.errors().error(key, "duplicate metadata key", in.position());
            }
            long at = in.position();
            int typeId = in.readInt(key + " (value type)");
            GgufValueType type = GgufValueType.ofId(typeId);
            if (type == null) {
                throw in.errors().error(key, "unknown metadata value type " + typeId, at);
            }
            metadata.put(key, readValue(in, key, type, 0));
        }
        int alignment = DEFAULT_ALIGNMENT;
        if (metadata.has("general.alignment")) {
            long a = metadata.integer("general.alignment", 1, 1 << 20);
            if (Long.bitCount(a) != 1) {
                throw in.errors().error("general.alignment", "must be a power of two, got " + a, -1);
            }
            alignment = (int) a;
        }
        record Info(String name, DType type, long[] shape, long offset, long bytes, long at) {}
        Info[] infos = new Info[(int) tensorCount];
        Map<String, Boolean> seen = new LinkedHashMap<>();
        for (int t = 0; t < tensorCount; t++) {
            long at = in.position();
            String name = readString(in, "tensor #" + t + " name");
            if (name.isBlank()) { // errors about it could not name the field (fuzz finding)
                throw in.errors().error("tensor #" + t + " name", "is blank", at);
            }
            if (seen.put(name, Boolean.TRUE) != null) {
                throw in.errors().error(name, "duplicate tensor name", at);
            }
            int nDims = in.readInt(name + " n_dims");
            if (nDims < 1 || nDims > MAX_DIMS) {
                throw in.errors().error(name, "n_dims " + nDims + " is outside 1.." + MAX_DIMS, in.position() - 4);
            }
            long[] shape = new long[nDims];
            long elements = 1;
            for (int d = 0; d < nDims; d++) {
                long ne = in.readLong(name + " ne[" + d + "]");
                if (ne <= 0 || ne > 1L << 40) {
                    throw in.errors().error(name, "dimension ne[" + d + "] = " + Long.toUnsignedString(ne)
                            + " is not a sane size", in.position() - 8);
                }
                shape[nDims - 1 - d] = ne; // GGUF lists the innermost dimension first
                if (elements > Long.MAX_VALUE / ne) {
                    throw in.errors().error(name, "element count overflows", in.position() - 8);
                }
                elements *= ne;
            }
            long typeAt = in.position();
            int typeId = in.readInt(name + " type");
            DType type = GgmlType.toDType(typeId);
            if (type == null) {
                throw in.errors().error(name, "unsupported or unknown ggml tensor type " + typeId
                        + " (supported: " + GgmlType.supportedNames() + ")", typeAt);
            }
            if (shape[nDims - 1] % type.blockSize() != 0) {
                throw in.errors().error(name, "row length " + shape[nDims - 1] + " is not a multiple of the "
                        + type + " block size " + type.blockSize(), typeAt);
            }
            long offset = in.readLong(name + " offset");
            if (offset < 0 || offset % alignment != 0) {
                throw in.errors().error(name, "data offset " + Long.toUnsignedString(offset)
                        + " is not a non-negative multiple of the alignment " + alignment, in.position() - 8);
            }
            if (elements > Long.MAX_VALUE / type.blockBytes()) {
                throw in.errors().error(name, "byte size overflows", typeAt);
            }
            infos[t] = new Info(name, type, shape, offset, type.bytesFor(elements), at);
        }
        long dataStart = (in.position() + alignment - 1) / alignment * alignment;
        long dataSize = data.byteSize() - dataStart;
        if (dataSize < 0 && tensorCount > 0) {
            throw in.errors().error("tensor data", "the file ends before the data section", data.byteSize());
        }
        // GGUF stores no byte length: a tensor's bytes follow from its shape and type. Tensors whose implied ranges
        // overlap mean a shape (block count) that disagrees with the layout the writer used.
        Info[] byOffset = infos.clone();
        java.util.Arrays.sort(byOffset, java.util.Comparator.comparingLong(Info::offset)); // stable: file order
        for (int i = 1; i < byOffset.length; i++) {
            Info a = byOffset[i - 1], b = byOffset[i];
            if (a.bytes() > b.offset() - a.offset()) { // offsets are sorted and non-negative: no overflow
                throw in.errors().error(b.name(), "data [" + b.offset() + ", +" + b.bytes() + ") overlaps the data ["
                        + a.offset() + ", +" + a.bytes() + ") that tensor " + a.name() + "'s shape "
                        + java.util.Arrays.toString(a.shape()) + " of " + a.type() + " implies: a shape (block count)"
                        + " disagrees with the file's layout", b.at());
            }
        }
        Map<String, WeightTensor> tensors = new LinkedHashMap<>();
        for (Info info : infos) {
            if (info.offset() > dataSize || info.bytes() > dataSize - info.offset()) {
                throw in.errors().error(info.name(), "data [" + info.offset() + ", +" + info.bytes()
                        + ") lies past the end of the file (data section holds " + Math.max(0, dataSize)
                        + " bytes; truncated?)", info.at()); // the info record: dataStart + offset may lie past the file
            }
            tensors.put(info.name(), new WeightTensor(info.name(), info.type(), info.shape(),
                    data.asSlice(dataStart + info.offset(), info.bytes())));
        }
        return new GgufFile(version, metadata, tensors, dataStart, alignment);
    }

    private static String readString(BinaryReader in, String field)
            throws dev.hyperattention4j.llm.model.ModelFormatException {
        long at = in.position();
        long length = in.readLong(field + " length");
        if (length < 0 || length > MAX_STRING || length > in.remaining()) {
            throw in.errors().error(field, "string length " + Long.toUnsignedString(length)
                    + " exceeds the " + in.remaining() + " bytes left", at);
        }
        return in.readUtf8(length, field);
    }

    private static GgufMetadata.Entry readValue(BinaryReader in, String key, GgufValueType type, int depth)
            throws dev.hyperattention4j.llm.model.ModelFormatException {
        if (type != GgufValueType.ARRAY) {
            return new GgufMetadata.Entry(type, null, readScalar(in, key, type));
        }
        long at = in.position();
        int elementId = in.readInt(key + " (array element type)");
        GgufValueType element = GgufValueType.ofId(elementId);
        if (element == null) {
            throw in.errors().error(key, "unknown array element type " + elementId, at);
        }
        if (element == GgufValueType.ARRAY && depth + 1 >= MAX_NESTING) {
            throw in.errors().error(key, "arrays nested deeper than " + MAX_NESTING, at);
        }
        long count = in.readLong(key + " (array length)");
        if (count < 0 || count > MAX_ARRAY || count * element.minSize() > in.remaining()) {
            throw in.errors().error(key, "array length " + Long.toUnsignedString(count) + " of " + element
                    + " exceeds the limit of " + MAX_ARRAY + " or the " + in.remaining() + " bytes left", at + 4);
        }
        int n = (int) count;
        Object value = switch (element) {
            case UINT8, INT8 -> in.readBytes(n, key);
            case UINT16, INT16 -> in.readShorts(n, key);
            case UINT32, INT32 -> in.readInts(n, key);
            case UINT64, INT64 -> in.readLongs(n, key);
            case FLOAT32 -> in.readFloats(n, key);
            case FLOAT64 -> in.readDoubles(n, key);
            case BOOL -> {
                boolean[] a = new boolean[n];
                for (int i = 0; i < n; i++) {
                    a[i] = readBool(in, key);
                }
                yield a;
            }
            case STRING -> {
                String[] a = new String[n];
                for (int i = 0; i < n; i++) {
                    String fast = in.readLengthPrefixedUtf8OrNull(MAX_STRING); // no field name per element
                    a[i] = fast != null ? fast : readString(in, key + "[" + i + "]");
                }
                yield a;
            }
            case ARRAY -> {
                Object[] a = new Object[n];
                for (int i = 0; i < n; i++) {
                    a[i] = readValue(in, key + "[" + i + "]", GgufValueType.ARRAY, depth + 1).value();
                }
                yield a;
            }
        };
        return new GgufMetadata.Entry(GgufValueType.ARRAY, element, value);
    }

    private static Object readScalar(BinaryReader in, String key, GgufValueType type)
            throws dev.hyperattention4j.llm.model.ModelFormatException {
        return switch (type) {
            case UINT8 -> in.readByte(key) & 0xFF;
            case INT8 -> (int) in.readByte(key);
            case UINT16 -> in.readShort(key) & 0xFFFF;
            case INT16 -> (int) in.readShort(key);
            case UINT32 -> in.readInt(key) & 0xFFFFFFFFL;
            case INT32 -> in.readInt(key);
            case UINT64, INT64 -> in.readLong(key);
            case FLOAT32 -> in.readFloat(key);
            case FLOAT64 -> in.readDouble(key);
            case BOOL -> readBool(in, key);
            case STRING -> readString(in, key);
            case ARRAY -> throw new IllegalStateException("arrays are read by readValue");
        };
    }

    private static boolean readBool(BinaryReader in, String key)
            throws dev.hyperattention4j.llm.model.ModelFormatException {
        long at = in.position();
        byte b = in.readByte(key);
        if (b != 0 && b != 1) {
            throw in.errors().error(key, "bool value " + b + " is neither 0 nor 1", at);
        }
        return b == 1;
    }
}

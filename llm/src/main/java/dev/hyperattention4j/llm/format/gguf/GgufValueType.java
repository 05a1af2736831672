package dev.hyperattention4j.llm.format.gguf;

/** GGUF metadata value types ({@code gguf_metadata_value_type}), with their encoded size (-1: variable). */
public enum GgufValueType {
    UINT8(0, 1), INT8(1, 1), UINT16(2, 2), INT16(3, 2), UINT32(4, 4), INT32(5, 4), FLOAT32(6, 4), BOOL(7, 1),
    STRING(8, -1), ARRAY(9, -1), UINT64(10, 8), INT64(11, 8), FLOAT64(12, 8);

    private final int id;
    private final int size;

    GgufValueType(int id, int size) {
        this.id = id;
        this.size = size;
    }

    public int id() { return id; }

    /** Bytes of one value, or -1 for strings and arrays. */
    public int size() { return size; }

    /** Smallest possible encoding (a string is at least its 8-byte length, an array its 12-byte header). */
    int minSize() { return this == STRING ? 8 : this == ARRAY ? 12 : size; }

    public static GgufValueType ofId(int id) {
        for (GgufValueType t : values()) {
            if (t.id == id) {
                return t;
            }
        }
        return null;
    }
}

package dev.hyperattention4j.llm.quantize;

import dev.hyperattention4j.llm.format.gguf.GgufFile;
import dev.hyperattention4j.llm.format.gguf.GgufMetadata;

/** Metadata values of two GGUF files in a comparable form (arrays by content). */
final class GgufTestValues {
    private GgufTestValues() {}

    static String describe(GgufFile f, String key) {
        GgufMetadata.Entry e = f.metadata().entries().get(key);
        if (e == null) {
            return "<missing>";
        }
        Object v = e.value();
        String value = switch (v) {
            case Object[] a -> java.util.Arrays.deepToString(a);
            case float[] a -> java.util.Arrays.toString(a);
            case int[] a -> java.util.Arrays.toString(a);
            case long[] a -> java.util.Arrays.toString(a);
            default -> String.valueOf(v);
        };
        return e.type() + "/" + e.elementType() + ":" + value;
    }
}

package dev.hyperattention4j.llm.format.gguf;

import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * GGUF key/values in file order. Scalars are boxed ({@code Integer} for 8/16-bit types and INT32, {@code Long} for
 * UINT32/INT64/UINT64, {@code Float}, {@code Double}, {@code Boolean}, {@code String}); arrays are Java arrays
 * ({@code byte[] short[] int[] long[] float[] double[] boolean[] String[]}, or {@code Object[]} of arrays).
 * The typed getters fail with a {@link GgufFormatException} naming the key when a value is missing or mistyped.
 */
public final class GgufMetadata {
    /** A value and its GGUF type (for arrays, {@code elementType} is the element type). */
    public record Entry(GgufValueType type, GgufValueType elementType, Object value) {}

    private final Path file;
    private final Map<String, Entry> entries = new LinkedHashMap<>();

    GgufMetadata(Path file) { this.file = file; }

    void put(String key, Entry e) { entries.put(key, e); }

    public Map<String, Entry> entries() { return Collections.unmodifiableMap(entries); }

    public boolean has(String key) { return entries.containsKey(key); }

    public Object get(String key) {
        Entry e = entries.get(key);
        return e == null ? null : e.value();
    }

    private GgufFormatException error(String key, String problem) {
        return new GgufFormatException(file, key, problem, -1);
    }

    public String string(String key) throws GgufFormatException {
        Object v = get(key);
        if (!(v instanceof String s)) {
            throw error(key, v == null ? "required key is missing" : "must be a string");
        }
        return s;
    }

    public String string(String key, String fallback) throws GgufFormatException {
        return has(key) ? string(key) : fallback;
    }

    /** An integer of any GGUF integer type, checked to lie in [min, max]. */
    public long integer(String key, long min, long max) throws GgufFormatException {
        Object v = get(key);
        if (v == null) {
            throw error(key, "required key is missing");
        }
        if (!(v instanceof Integer || v instanceof Long)) {
            throw error(key, "must be an integer, got " + entries.get(key).type());
        }
        long x = ((Number) v).longValue();
        if (entries.get(key).type() == GgufValueType.UINT64 && x < 0 || x < min || x > max) {
            throw error(key, "value " + Long.toUnsignedString(x) + " is outside " + min + ".." + max);
        }
        return x;
    }

    public long integer(String key, long min, long max, long fallback) throws GgufFormatException {
        return has(key) ? integer(key, min, max) : fallback;
    }

    public double number(String key, double fallback) throws GgufFormatException {
        Object v = get(key);
        if (v == null) {
            return fallback;
        }
        if (!(v instanceof Number n) || v instanceof Byte) {
            throw error(key, "must be a number");
        }
        return n.doubleValue();
    }

    /** A number within the range {@code ok} accepts (described by {@code range}, e.g. "a norm epsilon in (0, 1)"). */
    public double number(String key, double fallback, java.util.function.DoublePredicate ok, String range)
            throws GgufFormatException {
        double v = number(key, fallback);
        if (!ok.test(v)) {
            throw error(key, "must be " + range + ", got " + v);
        }
        return v;
    }

    public boolean bool(String key, boolean fallback) throws GgufFormatException {
        Object v = get(key);
        if (v == null) {
            return fallback;
        }
        if (!(v instanceof Boolean b)) {
            throw error(key, "must be a bool");
        }
        return b;
    }

    public String[] strings(String key) throws GgufFormatException {
        Object v = get(key);
        if (!(v instanceof String[] a)) {
            throw error(key, v == null ? "required key is missing" : "must be an array of strings");
        }
        return a;
    }

    public float[] floats(String key) throws GgufFormatException {
        Object v = get(key);
        if (!(v instanceof float[] a)) {
            throw error(key, v == null ? "required key is missing" : "must be an array of float32");
        }
        return a;
    }

    /** An array of any 32-bit-or-narrower integer type, widened to int. */
    public int[] ints(String key) throws GgufFormatException {
        Object v = get(key);
        switch (v) {
            case int[] a -> {
                return a;
            }
            case short[] a -> {
                int[] out = new int[a.length];
                for (int i = 0; i < a.length; i++) {
                    out[i] = a[i];
                }
                return out;
            }
            case byte[] a -> {
                int[] out = new int[a.length];
                for (int i = 0; i < a.length; i++) {
                    out[i] = a[i];
                }
                return out;
            }
            case null -> throw error(key, "required key is missing");
            default -> throw error(key, "must be an array of integers");
        }
    }

    /** A short printable form of a value for {@code inspect} (arrays are summarised). */
    public static String describe(Entry e) {
        Object v = e.value();
        if (e.type() == GgufValueType.ARRAY) {
            int n = java.lang.reflect.Array.getLength(v);
            StringBuilder sb = new StringBuilder("[" + e.elementType() + " x " + n + "]");
            if (n > 0 && n <= 8 && !(v instanceof Object[] && !(v instanceof String[]))) {
                sb.append(' ');
                for (int i = 0; i < n; i++) {
                    sb.append(i == 0 ? "" : ", ").append(java.lang.reflect.Array.get(v, i));
                }
            }
            return dev.hyperattention4j.llm.format.io.Printable.escape(sb.toString());
        }
        String s = dev.hyperattention4j.llm.format.io.Printable.escape(String.valueOf(v));
        if (e.type() == GgufValueType.UINT64 || e.type() == GgufValueType.UINT32) {
            s = Long.toUnsignedString(((Number) v).longValue());
        }
        return s.length() > 120 ? s.substring(0, 117) + "..." : s;
    }
}

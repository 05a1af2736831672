package dev.hyperattention4j.runtime;

/**
 * Checks a size against the Java heap before allocating it, so a context of 60 million tokens or a benchmark of
 * 2 billion rows is a one-line error saying how much memory it would need and what to change, instead of an
 * OutOfMemoryError after minutes of work.
 */
public final class HeapBudget {
    private HeapBudget() {
    }

    /** Bytes the heap can still give: its maximum ({@code -Xmx}) less what is in use. */
    public static long available() {
        Runtime r = Runtime.getRuntime();
        return r.maxMemory() - (r.totalMemory() - r.freeMemory());
    }

    /**
     * Throws unless {@code bytes} fit in the heap (after one collection when they look short: the heap in use may be
     * mostly garbage).
     *
     * @param what   what needs the memory, e.g. "a KV cache of 60000000 tokens for this model"
     * @param change what the user can change, e.g. "lower -c/--context"
     * @throws IllegalArgumentException "&lt;what&gt; needs 45.8 GiB but the Java heap has 1.9 GiB free (maximum
     *                                  2.0 GiB); &lt;change&gt; or raise the heap (-Xmx, e.g. through HA4J_JVM_OPTS)"
     */
    public static void require(long bytes, String what, String change) {
        if (bytes <= available()) {
            return;
        }
        System.gc();
        long free = available();
        if (bytes > free) {
            throw new IllegalArgumentException(what + " needs " + size(bytes) + " but the Java heap has " + size(free)
                    + " free (maximum " + size(Runtime.getRuntime().maxMemory()) + "); " + change
                    + " or raise the heap (-Xmx, e.g. through HA4J_JVM_OPTS)");
        }
    }

    /** As {@link #require}, for a size computed in floating point (an element count that may overflow a long). */
    public static void require(double bytes, String what, String change) {
        require(bytes >= Long.MAX_VALUE ? Long.MAX_VALUE : (long) Math.ceil(bytes), what, change);
    }

    /** "512 B", "12.3 MiB", "45.8 GiB", "3.1 TiB". */
    public static String size(long bytes) {
        if (bytes < 1024) {
            return bytes + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
        double v = bytes;
        int u = -1;
        while (v >= 1024 && u + 1 < units.length) {
            v /= 1024;
            u++;
        }
        return String.format(java.util.Locale.ROOT, "%.1f %s", v, units[u]);
    }
}

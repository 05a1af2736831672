package dev.hyperattention4j.attention.hyper;

import dev.hyperattention4j.tensor.FloatTensor;

/**
 * Brings gathered rows into cache before they are packed or written. The sorted order scatters a block's rows over
 * the whole tensor, so packing them one after the other waits for one DRAM miss per row (measured: gathering a
 * block's keys and values took about as long as attending to them). Reading one float per 64-byte line of every row
 * first issues those misses independently, so the memory system serves many at once, and the pack then hits cache.
 * Java has no prefetch instruction; these are plain loads whose sum goes to a field so that they are not removed.
 *
 * <p>The two tensors of a pair (keys and values, queries and outputs) are touched row by row together, not one
 * after the other: twice the loads per iteration keep more misses in flight (docs/notebook/2026-12-08-hyper-parts.md:
 * a non-causal call's gathering 12-16 % shorter in paired runs). Touching all four tensors of a block in one loop was slower than
 * two pairs.
 */
final class RowTouch {
    @SuppressWarnings("unused")
    private static volatile float sink;

    private RowTouch() {}

    /** Touches rows {@code rows[from..to)} of head {@code [b][h]} of one or two tensors ({@code second} may be null). */
    static void touch(FloatTensor first, FloatTensor second, int b, int h, int[] rows, int from, int to) {
        float acc;
        if (second != null && first.rowArray() != null && second.rowArray() != null && first.dim() == second.dim()) {
            acc = pair(first, second, b, h, rows, from, to);
        } else {
            acc = first.touchRows(b, h, rows, from, to);
            if (second != null) {
                acc += second.touchRows(b, h, rows, from, to);
            }
        }
        if (acc == 1.2345e-30f) {
            sink = acc;   // practically never taken, but the loads must happen to decide it
        }
    }

    /**
     * One float of every 64-byte line of each row of both tensors, a row of each in one iteration. A row need not
     * start on a line (an array's data starts wherever the JVM put it), so its last float is read too: with 16
     * floats between the reads, that covers every line the row spans.
     */
    static float pair(FloatTensor first, FloatTensor second, int b, int h, int[] rows, int from, int to) {
        final float[] a1 = first.rowArray(), a2 = second.rowArray();
        final int last = first.dim() - 1, line = 16;
        float acc = 0;
        for (int i = from; i < to; i++) {
            final int x1 = first.arrayIndex(b, h, rows[i]), x2 = second.arrayIndex(b, h, rows[i]);
            for (int c = 0; c < last; c += line) {
                acc += a1[x1 + c] + a2[x2 + c];
            }
            acc += a1[x1 + last] + a2[x2 + last];
        }
        return acc;
    }
}

package dev.hyperattention4j.attention.hyper;

import dev.hyperattention4j.tensor.FloatTensor;

/**
 * Brings gathered rows into cache before they are packed or written. The sorted order scatters a block's rows over
 * the whole tensor, so packing them one after the other waits for one DRAM miss per row (measured: gathering a
 * block's keys and values took about as long as attending to them). Reading one float per 64-byte line of every row
 * first issues those misses independently, so the memory system serves many at once, and the pack then hits cache.
 * Java has no prefetch instruction; these are plain loads whose sum goes to a field so that they are not removed.
 */
final class RowTouch {
    @SuppressWarnings("unused")
    private static volatile float sink;

    private RowTouch() {}

    /** Touches rows {@code rows[from..to)} of head {@code [b][h]} of one or two tensors ({@code second} may be null). */
    static void touch(FloatTensor first, FloatTensor second, int b, int h, int[] rows, int from, int to) {
        float acc = first.touchRows(b, h, rows, from, to);
        if (second != null) {
            acc += second.touchRows(b, h, rows, from, to);
        }
        if (acc == 1.2345e-30f) {
            sink = acc;   // practically never taken, but the loads must happen to decide it
        }
    }
}

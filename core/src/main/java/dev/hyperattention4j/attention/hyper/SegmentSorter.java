package dev.hyperattention4j.attention.hyper;

import java.util.Arrays;

/**
 * The stable sort of one causal-recursion segment, called through {@link HyperSchedule#sortQueries} and
 * {@link HyperSchedule#sortKeys} by the forward and the backward alike, so that both see exactly the same order:
 * {@code real} rows from {@code start} with their sort keys, then {@code total - real} appended zero rows under key 0
 * (docs/DESIGN.md §2.5). Owns its scratch, so one
 * instance per worker allocates nothing once warm.
 */
final class SegmentSorter {
    private int[] sortKeys = new int[0];
    private int[] counts = new int[0];

    /**
     * Writes into {@code rows[offset .. offset+total)} the segment-local index of each sorted position
     * (indices {@code >= real} are appended zero rows). {@code keys == null} means every key is 0.
     */
    void sort(int[] keys, int keyBase, int start, int real, int total, int keyCount, int[] rows, int offset) {
        if (sortKeys.length < total) {
            sortKeys = new int[total];
        }
        if (counts.length < keyCount + 1) {
            counts = new int[keyCount + 1];
        }
        if (keys == null) {
            Arrays.fill(sortKeys, 0, total, 0);
        } else {
            if (real > 0) {
                System.arraycopy(keys, keyBase + start, sortKeys, 0, real);
            }
            Arrays.fill(sortKeys, real, total, 0);
        }
        SortLsh.stableSort(sortKeys, 0, total, keyCount, rows, offset, counts);
    }
}

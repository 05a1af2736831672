package dev.hyperattention4j.llm.tokenizer;

/**
 * Applies BPE merges to a sequence of initial symbols in O(n log n): a binary min-heap of candidate adjacent pairs
 * keyed by {@code rank << 32 | position}, over a doubly linked list of live symbols. Ties on rank go to the leftmost
 * pair because positions (the index of a pair's left symbol in the initial sequence) keep their left-to-right
 * order through merges. This reproduces both "lowest merge rank first" (HF BPE) and "highest score first, leftmost
 * on ties" (SentencePiece, llama2.c) when ranks are dense ranks of the scores.
 *
 * <p>Entries are never removed from the heap; a popped entry is acted on only if the pair now at its position
 * still merges at the popped rank. That is correct: every live pair has an entry at its current rank, so an entry
 * that is still valid is a minimum among live pairs.
 */
final class BpeMerger {
    private static final int DEAD = Integer.MIN_VALUE;

    private BpeMerger() {}

    /** Merges {@code ids[0..n)} in place as far as the table allows; returns the merged sequence. */
    static int[] merge(int[] ids, int n, PairTable table) {
        if (n < 2) {
            return java.util.Arrays.copyOf(ids, n);
        }
        int[] next = new int[n];
        int[] prev = new int[n];
        for (int i = 0; i < n; i++) {
            next[i] = i + 1 < n ? i + 1 : -1;
            prev[i] = i - 1;
        }
        LongHeap heap = new LongHeap(n);
        for (int i = 0; i + 1 < n; i++) {
            offer(heap, table, ids, i, i + 1);
        }
        int live = n;
        while (!heap.isEmpty()) {
            long entry = heap.poll();
            int pos = (int) entry;
            int rank = (int) (entry >>> 32);
            if (ids[pos] == DEAD) {
                continue;
            }
            int right = next[pos];
            if (right < 0) {
                continue;
            }
            long merged = table.get(ids[pos], ids[right]);
            if (merged < 0 || (int) (merged >>> 32) != rank) {
                continue; // stale entry: this position's pair changed since it was queued
            }
            ids[pos] = (int) merged;
            ids[right] = DEAD;
            int after = next[right];
            next[pos] = after;
            if (after >= 0) {
                prev[after] = pos;
                offer(heap, table, ids, pos, after);
            }
            if (prev[pos] >= 0) {
                offer(heap, table, ids, prev[pos], pos);
            }
            live--;
        }
        int[] out = new int[live];
        int k = 0;
        for (int i = 0; i >= 0; i = next[i]) {
            out[k++] = ids[i];
        }
        return out;
    }

    private static void offer(LongHeap heap, PairTable table, int[] ids, int left, int right) {
        long merged = table.get(ids[left], ids[right]);
        if (merged >= 0) {
            heap.add((merged & 0xFFFFFFFF00000000L) | left);
        }
    }

    /** Binary min-heap of primitive longs. */
    private static final class LongHeap {
        private long[] data;
        private int size;

        LongHeap(int capacity) { data = new long[Math.max(4, capacity)]; }

        boolean isEmpty() { return size == 0; }

        void add(long v) {
            if (size == data.length) {
                data = java.util.Arrays.copyOf(data, size * 2);
            }
            int i = size++;
            while (i > 0) {
                int parent = (i - 1) >>> 1;
                if (data[parent] <= v) {
                    break;
                }
                data[i] = data[parent];
                i = parent;
            }
            data[i] = v;
        }

        long poll() {
            long top = data[0];
            long last = data[--size];
            int i = 0;
            int half = size >>> 1;
            while (i < half) {
                int child = 2 * i + 1;
                if (child + 1 < size && data[child + 1] < data[child]) {
                    child++;
                }
                if (last <= data[child]) {
                    break;
                }
                data[i] = data[child];
                i = child;
            }
            data[i] = last;
            return top;
        }
    }
}

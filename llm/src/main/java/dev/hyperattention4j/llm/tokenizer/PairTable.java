package dev.hyperattention4j.llm.tokenizer;

/**
 * BPE merge table: (left id, right id) → (rank, merged id), an open-addressing hash map of primitive longs, because
 * it is probed once per adjacent pair and boxing would dominate tokenisation time. Grows as merges are added (a
 * score-driven vocabulary's merge count is known only after the splits are tried). Immutable once built.
 * Lower rank merges first.
 */
final class PairTable {
    private static final long EMPTY = -1L;
    private long[] keys;
    private long[] values;
    private int mask;
    private int size;

    PairTable(int expectedEntries) {
        int capacity = Integer.highestOneBit(Math.max(16, expectedEntries * 2 + 1)) << 1;
        keys = new long[capacity];
        values = new long[capacity];
        java.util.Arrays.fill(keys, EMPTY);
        mask = capacity - 1;
    }

    private static long key(int left, int right) { return ((long) left << 32) | (right & 0xFFFFFFFFL); }

    /** MurmurHash3's 64-bit finaliser: both ids affect every bit, so linear probing stays short. */
    private int slot(long key) {
        long h = key;
        h ^= h >>> 33;
        h *= 0xFF51AFD7ED558CCDL;
        h ^= h >>> 33;
        h *= 0xC4CEB9FE1A85EC53L;
        h ^= h >>> 33;
        return (int) h & mask;
    }

    /** Adds a merge unless the pair already has one (the first, lowest-rank entry wins, as in HF tokenizers). */
    void putIfAbsent(int left, int right, int rank, int merged) {
        long k = key(left, right);
        int i = slot(k);
        while (keys[i] != EMPTY) {
            if (keys[i] == k) {
                return;
            }
            i = (i + 1) & mask;
        }
        if (size + 1 > (mask + 1) * 3 / 4) {
            grow();
            putIfAbsent(left, right, rank, merged);
            return;
        }
        keys[i] = k;
        values[i] = ((long) rank << 32) | (merged & 0xFFFFFFFFL);
        size++;
    }

    /** {@code rank << 32 | mergedId}, or -1 when the pair does not merge. */
    long get(int left, int right) {
        long k = key(left, right);
        int i = slot(k);
        long stored;
        while ((stored = keys[i]) != EMPTY) {
            if (stored == k) {
                return values[i];
            }
            i = (i + 1) & mask;
        }
        return -1L;
    }

    int size() { return size; }

    private void grow() {
        if (mask + 1 >= 1 << 30) {
            throw new IllegalStateException("pair table over capacity");
        }
        long[] oldKeys = keys;
        long[] oldValues = values;
        keys = new long[oldKeys.length * 2];
        values = new long[oldKeys.length * 2];
        java.util.Arrays.fill(keys, EMPTY);
        mask = keys.length - 1;
        for (int j = 0; j < oldKeys.length; j++) {
            if (oldKeys[j] != EMPTY) {
                int i = slot(oldKeys[j]);
                while (keys[i] != EMPTY) {
                    i = (i + 1) & mask;
                }
                keys[i] = oldKeys[j];
                values[i] = oldValues[j];
            }
        }
    }
}

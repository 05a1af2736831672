package dev.hyperattention4j.llm.tokenizer;

import java.util.concurrent.ThreadLocalRandom;

/**
 * Finds the ids of substrings of a piece without copying them: a hash table of every piece keyed by its polynomial
 * hash modulo 2^61 − 1 (Karp–Rabin), so the hash of every prefix and suffix of a piece of length L comes from L
 * prefix hashes in O(L) in total. The base is drawn at random per index, so a file cannot be crafted to collide, and
 * every hit is verified character by character, so a collision costs time, never a wrong id. Building the
 * score-driven merges this way takes time linear in the vocabulary's characters instead of quadratic in each piece
 * (issue #25: a single 200,000-character piece took 6 s with a substring per split point).
 */
final class PieceIndex {
    private static final long MOD = (1L << 61) - 1;

    private final String[] pieces;
    private final long base;
    private final long[] hashes;
    private final int[] ids;
    private final int mask;
    /** Prefix hashes and powers of the base for the piece being split (grown on demand). */
    private long[] prefix = new long[64];
    private long[] power = new long[64];

    /** Indexes {@code pieces[i]} for every i where {@code include[i]}. */
    PieceIndex(String[] pieces, boolean[] include) {
        this.pieces = pieces;
        this.base = 256 + ThreadLocalRandom.current().nextLong(MOD - 512);
        int count = 0;
        for (boolean b : include) {
            count += b ? 1 : 0;
        }
        int capacity = Integer.highestOneBit(Math.max(16, count * 2 + 1)) << 1;
        hashes = new long[capacity];
        ids = new int[capacity];
        java.util.Arrays.fill(ids, -1);
        mask = capacity - 1;
        for (int i = 0; i < pieces.length; i++) {
            if (include[i]) {
                long h = hash(pieces[i]);
                int slot = slot(h);
                while (ids[slot] >= 0) {
                    slot = (slot + 1) & mask;
                }
                hashes[slot] = h;
                ids[slot] = i;
            }
        }
    }

    /** Prepares the prefix hashes of {@code p} for {@link #find}. */
    void load(String p) {
        int n = p.length();
        if (prefix.length <= n) {
            prefix = new long[n + 1];
            power = new long[n + 1];
        }
        prefix[0] = 0;
        power[0] = 1;
        for (int i = 0; i < n; i++) {
            prefix[i + 1] = add(mul(prefix[i], base), p.charAt(i) + 1);
            power[i + 1] = mul(power[i], base);
        }
    }

    /** Id of the indexed piece equal to {@code p[from, to)} of the piece last {@link #load}ed, or -1. */
    int find(String p, int from, int to) {
        long h = sub(prefix[to], mul(prefix[from], power[to - from]));
        int len = to - from;
        for (int slot = slot(h); ids[slot] >= 0; slot = (slot + 1) & mask) {
            int id = ids[slot];
            if (hashes[slot] == h && pieces[id].length() == len && p.regionMatches(from, pieces[id], 0, len)) {
                return id;
            }
        }
        return -1;
    }

    private long hash(String s) {
        long h = 0;
        for (int i = 0; i < s.length(); i++) {
            h = add(mul(h, base), s.charAt(i) + 1);
        }
        return h;
    }

    private int slot(long h) {
        h ^= h >>> 29;
        h *= 0xBF58476D1CE4E5B9L;
        h ^= h >>> 32;
        return (int) h & mask;
    }

    private static long mul(long a, long b) {
        long hi = Math.multiplyHigh(a, b);
        long lo = a * b;
        long r = (lo & MOD) + ((lo >>> 61) | (hi << 3));
        r = (r & MOD) + (r >>> 61);
        return r >= MOD ? r - MOD : r;
    }

    private static long add(long a, long b) {
        long r = a + b;
        return r >= MOD ? r - MOD : r;
    }

    private static long sub(long a, long b) {
        long r = a - b;
        return r < 0 ? r + MOD : r;
    }
}

package dev.hyperattention4j.llm.tokenizer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Finds special tokens (e.g. {@code <|im_start|>}) written literally in the text, in one left-to-right pass: a
 * bit set of first characters rejects almost every position at once, and at a possible start a walk down a trie of
 * the special tokens finds the longest one there, in time bounded by the longest special token
 * ({@link TokenizerLimits#MAX_PIECE_CHARS}) whatever their number.
 */
final class SpecialTokenSplitter {
    /** A piece of input: either plain text {@code [start, end)} or a special token id (then start == end). */
    record Piece(int start, int end, int specialId) {
        boolean isSpecial() { return specialId >= 0; }
    }

    private final BitSet firstChars = new BitSet(65536);
    /** Trie edges: {@code node << 16 | char} → child node; node 0 is the root. */
    private final Map<Long, Integer> edges = new HashMap<>();
    /** The special token id ending at each node, or -1. */
    private int[] terminal = {-1};

    SpecialTokenSplitter(Map<String, Integer> specials) {
        int nodes = 1;
        for (Map.Entry<String, Integer> e : specials.entrySet()) {
            String text = e.getKey();
            if (text.isEmpty()) {
                continue;
            }
            firstChars.set(text.charAt(0));
            int node = 0;
            for (int i = 0; i < text.length(); i++) {
                long key = (long) node << 16 | text.charAt(i);
                Integer child = edges.get(key);
                if (child == null) {
                    child = nodes++;
                    edges.put(key, child);
                    if (child >= terminal.length) {
                        int old = terminal.length;
                        terminal = Arrays.copyOf(terminal, old * 2);
                        Arrays.fill(terminal, old, terminal.length, -1);
                    }
                }
                node = child;
            }
            if (terminal[node] < 0) { // the first entry for a text wins
                terminal[node] = e.getValue();
            }
        }
    }

    boolean isEmpty() { return edges.isEmpty(); }

    List<Piece> split(String text) {
        List<Piece> pieces = new ArrayList<>();
        int textStart = 0;
        int i = 0;
        int n = text.length();
        while (i < n) {
            if (firstChars.get(text.charAt(i))) {
                int hitId = -1;
                int hitEnd = -1;
                int node = 0;
                for (int j = i; j < n; j++) {
                    Integer child = edges.get((long) node << 16 | text.charAt(j));
                    if (child == null) {
                        break;
                    }
                    node = child;
                    if (terminal[node] >= 0) {
                        hitId = terminal[node];
                        hitEnd = j + 1;
                    }
                }
                if (hitId >= 0) {
                    if (i > textStart) {
                        pieces.add(new Piece(textStart, i, -1));
                    }
                    pieces.add(new Piece(i, i, hitId));
                    i = hitEnd;
                    textStart = i;
                    continue;
                }
            }
            i++;
        }
        if (textStart < n) {
            pieces.add(new Piece(textStart, n, -1));
        }
        return pieces;
    }
}

package dev.hyperattention4j.llm.tokenizer;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Finds special tokens (e.g. {@code <|im_start|>}) written literally in the text, in one left-to-right pass: a
 * bit set of first characters rejects almost every position at once, and at a possible start the longest matching
 * special token wins.
 */
final class SpecialTokenSplitter {
    /** A piece of input: either plain text {@code [start, end)} or a special token id (then start == end). */
    record Piece(int start, int end, int specialId) {
        boolean isSpecial() { return specialId >= 0; }
    }

    private final BitSet firstChars = new BitSet(65536);
    private final Map<Character, List<Map.Entry<String, Integer>>> byFirstChar = new HashMap<>();

    SpecialTokenSplitter(Map<String, Integer> specials) {
        for (Map.Entry<String, Integer> e : specials.entrySet()) {
            if (e.getKey().isEmpty()) {
                continue;
            }
            char c = e.getKey().charAt(0);
            firstChars.set(c);
            byFirstChar.computeIfAbsent(c, k -> new ArrayList<>()).add(Map.entry(e.getKey(), e.getValue()));
        }
        for (List<Map.Entry<String, Integer>> list : byFirstChar.values()) {
            list.sort(Comparator.comparingInt((Map.Entry<String, Integer> e) -> e.getKey().length()).reversed());
        }
    }

    boolean isEmpty() { return byFirstChar.isEmpty(); }

    List<Piece> split(String text) {
        List<Piece> pieces = new ArrayList<>();
        int textStart = 0;
        int i = 0;
        int n = text.length();
        while (i < n) {
            char c = text.charAt(i);
            if (firstChars.get(c)) {
                Map.Entry<String, Integer> hit = null;
                for (Map.Entry<String, Integer> candidate : byFirstChar.get(c)) {
                    if (text.startsWith(candidate.getKey(), i)) {
                        hit = candidate;
                        break;
                    }
                }
                if (hit != null) {
                    if (i > textStart) {
                        pieces.add(new Piece(textStart, i, -1));
                    }
                    pieces.add(new Piece(i, i, hit.getValue()));
                    i += hit.getKey().length();
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

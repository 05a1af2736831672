package dev.hyperattention4j.llm.runtime;

import java.util.List;

/**
 * Ends a generation at the first occurrence of any of a set of strings in the generated text, which may span
 * several tokens. Text is released to the caller only once no stop string can still start in it: a tail that is a
 * prefix of a stop string is held back until the next piece decides, so a streamed client never sees a stop string
 * or part of one (the text returned excludes the stop string, as OpenAI's API and llama.cpp do). Not thread-safe.
 */
public final class StopStrings {
    private final List<String> stops;
    private final StringBuilder held = new StringBuilder();
    private boolean stopped;

    /** Empty strings are refused: they would match before the first token. */
    public StopStrings(List<String> stops) {
        for (String s : stops) {
            if (s == null || s.isEmpty()) {
                throw new IllegalArgumentException("a stop string must not be empty");
            }
        }
        this.stops = List.copyOf(stops);
    }

    public boolean stopped() {
        return stopped;
    }

    /** Adds a generated piece; returns the text that is now safe to release (possibly empty). */
    public String accept(String piece) {
        if (stopped) {
            return "";
        }
        if (stops.isEmpty()) {
            return piece;
        }
        held.append(piece);
        int first = -1;
        for (String s : stops) {
            int i = held.indexOf(s);
            if (i >= 0 && (first < 0 || i < first)) {
                first = i;
            }
        }
        if (first >= 0) {
            stopped = true;
            String out = held.substring(0, first);
            held.setLength(0);
            return out;
        }
        int keep = heldBack();
        String out = held.substring(0, held.length() - keep);
        held.delete(0, held.length() - keep);
        return out;
    }

    /** At the end of the generation: whatever was held back (it did not become a stop string). */
    public String flush() {
        String out = stopped ? "" : held.toString();
        held.setLength(0);
        return out;
    }

    /** Length of the longest tail of the held text that is a proper prefix of some stop string. */
    private int heldBack() {
        String h = held.toString();
        int best = 0;
        for (String s : stops) {
            for (int len = Math.min(s.length() - 1, h.length()); len > best; len--) {
                if (h.regionMatches(h.length() - len, s, 0, len)) {
                    best = len;
                    break;
                }
            }
        }
        return best;
    }
}

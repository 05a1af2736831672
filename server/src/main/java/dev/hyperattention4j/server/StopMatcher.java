package dev.hyperattention4j.server;

import java.util.List;

/**
 * Streams generated text while watching for stop strings: text that could still become the start of a stop string is
 * held back until it cannot, and the text from a stop string on is never sent (OpenAI's {@code stop} semantics).
 */
final class StopMatcher {
    private final List<String> stops;
    private final StringBuilder pending = new StringBuilder();
    private boolean stopped;

    StopMatcher(List<String> stops) {
        this.stops = stops;
    }

    boolean stopped() {
        return stopped;
    }

    /** Adds generated text; returns the part that is now safe to send. */
    String offer(String piece) {
        if (stopped) {
            return "";
        }
        pending.append(piece);
        int cut = -1;
        for (String s : stops) {
            int at = pending.indexOf(s);
            if (at >= 0 && (cut < 0 || at < cut)) {
                cut = at;
            }
        }
        if (cut >= 0) {
            stopped = true;
            String out = pending.substring(0, cut);
            pending.setLength(0);
            return out;
        }
        int keep = heldBack();
        String out = pending.substring(0, pending.length() - keep);
        pending.delete(0, pending.length() - keep);
        return out;
    }

    /** The held-back text once generation ended without a stop string. */
    String flush() {
        String out = stopped ? "" : pending.toString();
        pending.setLength(0);
        return out;
    }

    /** Length of the longest suffix of the pending text that is a proper prefix of a stop string. */
    private int heldBack() {
        int best = 0;
        String text = pending.toString();
        for (String s : stops) {
            for (int k = Math.min(s.length() - 1, text.length()); k > best; k--) {
                if (text.regionMatches(text.length() - k, s, 0, k)) {
                    best = k;
                    break;
                }
            }
        }
        return best;
    }
}

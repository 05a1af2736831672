package dev.hyperattention4j.llm.format.io;

/**
 * Text from a model file made safe to print on a terminal: control characters (C0, DEL, C1), line and paragraph
 * separators and the bidirectional overrides and isolates (which reorder what follows them on screen) become
 * {@code \n}, {@code \t} or {@code \}{@code uXXXX} escapes, so a hostile key or value cannot move the cursor, clear
 * the screen, split one error into several lines or disguise itself. Everything else is kept.
 */
public final class Printable {
    private Printable() {}

    public static String escape(String s) {
        if (s == null) {
            return null;
        }
        StringBuilder out = null;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            String replacement = switch (c) {
                case '\n' -> "\\n";
                case '\r' -> "\\r";
                case '\t' -> "\\t";
                default -> unsafe(c) ? String.format("\\u%04X", (int) c) : null;
            };
            if (replacement != null && out == null) {
                out = new StringBuilder(s.length() + 16).append(s, 0, i);
            }
            if (out != null) {
                if (replacement != null) {
                    out.append(replacement);
                } else {
                    out.append(c);
                }
            }
        }
        return out == null ? s : out.toString();
    }

    private static boolean unsafe(char c) {
        return c < 0x20 || (c >= 0x7F && c < 0xA0) || c == '\u2028' || c == '\u2029'
                || (c >= '\u202A' && c <= '\u202E') || (c >= '\u2066' && c <= '\u2069');
    }
}

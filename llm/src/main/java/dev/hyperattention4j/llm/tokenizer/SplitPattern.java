package dev.hyperattention4j.llm.tokenizer;

import com.google.re2j.Matcher;
import com.google.re2j.Pattern;
import com.google.re2j.PatternSyntaxException;
import java.util.List;

/**
 * A pre-tokenizer regex from a model file (a tokenizer.json {@code Split}, {@code ByteLevel} or {@code Digits}, or a
 * GGUF pre-tokenizer), run by RE2/J: an automaton engine without backtracking and without recursion while matching.
 * A file may carry any regex; with a backtracking engine {@code (.*a){12}x} runs for minutes and nested zero-width
 * repetition such as {@code (?:(?:^){2000000000}){2000000000}} never ends. Here the work is bounded three ways:
 * <ul>
 *   <li>at load, the pattern's size after expanding counted repetitions is bounded
 *       ({@link TokenizerLimits#MAX_PATTERN_NODES}; RE2/J itself refuses a count above 1000 but would overflow the
 *       stack or the heap compiling {@code ((a{1000}){1000}){1000}}), and so is its nesting depth;</li>
 *   <li>each search is linear in the text it reads times the program size;</li>
 *   <li>the reads of all searches over one chunk of text share a budget ({@link BoundedText}): finding every match
 *       of {@code a*b|a} in "aaa…" reads the rest of the text at every position, quadratic in total.</li>
 * </ul>
 * Patterns use Java's (and the Rust tokenizers') Unicode meaning, which RE2 lacks for some classes, so the pattern
 * is translated first: {@code \s} is Unicode White_Space (RE2's is ASCII), {@code \d} is {@code \p{Nd}}, {@code \w}
 * Java's Unicode word class (Alphabetic, marks, decimal digits, connector punctuation, joiners), {@code .} excludes
 * every line terminator, and {@code \}{@code uXXXX} becomes {@code \x{XXXX}}. RE2 has no lookaround; the one
 * lookahead real pre-tokenizers use, GPT-2's closing {@code \s+(?!\S)|\s+} (also in Llama 3's, Qwen2's and most
 * later patterns: "a run of spaces, except the last one when a word follows"), is implemented after the match: a
 * whitespace run that ends before a non-space loses its last character when it is longer than one. Any other
 * lookaround, backreference, word boundary, nested class or class intersection is refused at load with a message
 * naming the construct.
 *
 * <p>The reviewed patterns the readers know (GPT-2's, Llama 3's, Qwen2's, the digit splitters) run on
 * java.util.regex instead, with the same read budget: they have no nested or zero-width repetition, split exactly as
 * their RE2 translation does (tested), and java.util.regex runs them about ten times faster than RE2/J.
 */
public final class SplitPattern {
    /** Unicode White_Space, as a class body: Java's {@code \s} under UNICODE_CHARACTER_CLASS. */
    private static final String SPACE = "\\t\\n\\x{0B}\\f\\r \\x{85}\\x{A0}\\x{1680}\\x{2000}-\\x{200A}\\x{2028}"
            + "\\x{2029}\\x{202F}\\x{205F}\\x{3000}";
    /** Java's Unicode {@code \w}: Alphabetic (letters, letter numbers, circled letters), marks, digits, Pc, joiners. */
    private static final String WORD = "\\p{L}\\p{Nl}\\p{M}\\p{Nd}\\p{Pc}\\x{200C}\\x{200D}\\x{24B6}-\\x{24E9}"
            + "\\x{1F130}-\\x{1F149}\\x{1F150}-\\x{1F169}\\x{1F170}-\\x{1F189}";
    private static final String NOT_LINE_END = "[^\\n\\r\\x{85}\\x{2028}\\x{2029}]";
    /** GPT-2's whitespace rule, as the last alternatives of a pattern. */
    private static final String TRAILING_SPACE_RULE = "\\s+(?!\\S)|\\s+";
    private static final String SPACE_GROUP = "ha4jspace";

    /** Reviewed patterns, run on java.util.regex (see the class comment). */
    private static final java.util.Set<String> REVIEWED = java.util.Set.of(HfTokenizerJson.GPT2_PATTERN,
            GgufTokenizers.LLAMA3_PATTERN, GgufTokenizers.QWEN2_PATTERN, "\\p{N}", "\\p{N}+");

    private final String source;
    private final Pattern pattern;
    private final java.util.regex.Pattern reviewed;
    private final boolean trailingSpaceRule;

    private SplitPattern(String source, Pattern pattern, java.util.regex.Pattern reviewed, boolean trailingSpaceRule) {
        this.source = source;
        this.pattern = pattern;
        this.reviewed = reviewed;
        this.trailingSpaceRule = trailingSpaceRule;
    }

    /**
     * Compiles a pre-tokenizer regex.
     *
     * @throws IllegalArgumentException naming the problem (too long, too large, unsupported construct, syntax)
     */
    public static SplitPattern compile(String regex) {
        if (REVIEWED.contains(regex)) {
            return new SplitPattern(regex, null,
                    java.util.regex.Pattern.compile(regex, java.util.regex.Pattern.UNICODE_CHARACTER_CLASS), false);
        }
        return linear(regex);
    }

    /** {@link #compile} on RE2/J whatever the pattern (tests compare the engines on the reviewed patterns). */
    static SplitPattern linear(String regex) {
        if (regex.length() > TokenizerLimits.MAX_PATTERN_CHARS) {
            throw new IllegalArgumentException("has " + regex.length() + " characters, more than the limit of "
                    + TokenizerLimits.MAX_PATTERN_CHARS);
        }
        boolean rule = false;
        String body = regex;
        if (regex.equals(TRAILING_SPACE_RULE)) {
            rule = true;
            body = null;
        } else if (regex.endsWith("|" + TRAILING_SPACE_RULE)) {
            rule = true;
            body = regex.substring(0, regex.length() - TRAILING_SPACE_RULE.length() - 1);
        }
        String translated = body == null ? "" : translate(body);
        if (rule) {
            translated += (body == null ? "" : "|") + "(?P<" + SPACE_GROUP + ">[" + SPACE + "]+)";
        }
        checkSize(translated);
        try {
            return new SplitPattern(regex, Pattern.compile(translated), null, rule);
        } catch (PatternSyntaxException e) {
            String why = e.getMessage();
            if (why.contains("(?=") || why.contains("(?!") || why.contains("(?<")) {
                why = "uses lookaround, which the linear-time engine does not support (only GPT-2's closing "
                        + "\\s+(?!\\S)|\\s+ is implemented): " + why;
            }
            throw new IllegalArgumentException("cannot be compiled: " + why);
        }
    }

    /** The regex as the file wrote it. */
    public String source() { return source; }

    /**
     * Adds the pieces of {@code text} to {@code out}: every non-empty match and every non-empty stretch between
     * matches (HF's "Isolated" behaviour).
     *
     * @throws IllegalArgumentException when the matching exceeds its read budget on this text
     */
    void split(String text, List<String> out) {
        int n = text.length();
        int last = 0;
        try {
            if (reviewed != null) {
                java.util.regex.Matcher m = reviewed.matcher(BoundedText.of(text));
                while (m.find()) {
                    last = add(text, last, m.start(), m.end(), out);
                }
            } else {
                Matcher m = pattern.matcher(BoundedText.of(text));
                int from = 0;
                while (from <= n && m.find(from)) {
                    int start = m.start();
                    int end = m.end();
                    if (trailingSpaceRule && m.start(SPACE_GROUP) >= 0 && end < n && end - start > 1) {
                        end--; // the last space goes with the word that follows
                    }
                    last = add(text, last, start, end, out);
                    from = end > start ? end : end + 1;
                }
            }
        } catch (BoundedText.Exhausted e) {
            String shown = source.length() > 80 ? source.substring(0, 80) + "…" : source;
            throw new IllegalArgumentException("the tokenizer's pre-tokenizer pattern '" + shown + "' needs more than "
                    + BoundedText.READS_PER_CHAR + " reads per character on a text chunk of " + n
                    + " characters; the tokenizer file is unusable for this text");
        }
        if (last < n) {
            out.add(text.substring(last));
        }
    }

    /** Adds the text before a match and the match; returns where the next text starts. */
    private static int add(String text, int last, int start, int end, List<String> out) {
        if (start > last) {
            out.add(text.substring(last, start));
        }
        if (end > start) {
            out.add(text.substring(start, end));
        }
        return end;
    }

    /** Whether this pattern runs on RE2/J (not a reviewed pattern); for tests. */
    boolean linearEngine() { return pattern != null; }

    /** Java/Rust regex syntax with Unicode classes → RE2 syntax with the same meaning (see the class comment). */
    static String translate(String regex) {
        StringBuilder out = new StringBuilder(regex.length() + 64);
        boolean inClass = false;
        int classBody = -1;
        int n = regex.length();
        for (int i = 0; i < n; ) {
            char c = regex.charAt(i);
            if (c == '\\') {
                if (i + 1 >= n) {
                    throw new IllegalArgumentException("ends with a lone backslash");
                }
                char e = regex.charAt(i + 1);
                switch (e) {
                    case 'Q' -> { // a quoted literal: copied as is, \s inside it is not a class
                        int end = regex.indexOf("\\E", i + 2);
                        int stop = end < 0 ? n : end + 2;
                        out.append(regex, i, stop);
                        i = stop;
                        continue;
                    }
                    case 's' -> out.append(inClass ? SPACE : "[" + SPACE + "]");
                    case 'S' -> out.append("[^" + SPACE + "]");
                    case 'd' -> out.append("\\p{Nd}");
                    case 'D' -> out.append("\\P{Nd}");
                    case 'w' -> out.append(inClass ? WORD : "[" + WORD + "]");
                    case 'W' -> out.append("[^" + WORD + "]");
                    case 'b', 'B' -> throw unsupported("word boundaries (\\b, \\B)");
                    case 'u' -> {
                        if (i + 6 > n || !isHex(regex, i + 2, i + 6)) {
                            throw new IllegalArgumentException("has an invalid \\u escape at index " + i);
                        }
                        out.append("\\x{").append(regex, i + 2, i + 6).append('}');
                        i += 6;
                        continue;
                    }
                    default -> out.append(c).append(e);
                }
                if (inClass && (e == 'S' || e == 'W')) {
                    throw unsupported("a negated class (\\" + e + ") inside a character class");
                }
                i += 2;
                continue;
            }
            if (inClass) {
                if (c == '[') {
                    throw unsupported("nested character classes");
                }
                if (c == '&' && i + 1 < n && regex.charAt(i + 1) == '&') {
                    throw unsupported("character class intersection (&&)");
                }
                if (c == ']' && i > classBody) {
                    inClass = false;
                }
                out.append(c);
                i++;
                continue;
            }
            if (c == '[') {
                inClass = true;
                out.append(c);
                i++;
                if (i < n && regex.charAt(i) == '^') {
                    out.append('^');
                    i++;
                }
                classBody = i; // a ']' right here is a literal
                continue;
            }
            out.append(c == '.' ? NOT_LINE_END : String.valueOf(c));
            i++;
        }
        return out.toString();
    }

    /**
     * Bounds the compiled program before RE2/J builds it: nodes counted with every counted repetition expanded
     * ({@code x{n,m}} is m copies of x) and every group nested, iteratively so a hostile pattern cannot overflow the
     * stack here either.
     */
    static void checkSize(String re) {
        final long cap = 1L << 40;
        long[] sum = new long[TokenizerLimits.MAX_PATTERN_DEPTH + 2];
        long[] lastAtom = new long[sum.length];
        int depth = 0;
        int n = re.length();
        for (int i = 0; i < n; ) {
            char c = re.charAt(i);
            long atom = -1;
            if (c == '\\') {
                int next = i + 2;
                if (next <= n && (re.charAt(i + 1) == 'p' || re.charAt(i + 1) == 'P' || re.charAt(i + 1) == 'x')
                        && next < n && re.charAt(next) == '{') {
                    int close = re.indexOf('}', next);
                    next = close < 0 ? n : close + 1;
                } else if (next <= n && re.charAt(i + 1) == 'Q') {
                    int end = re.indexOf("\\E", next);
                    atom = (end < 0 ? n : end) - next;
                    next = end < 0 ? n : end + 2;
                }
                i = Math.min(next, n);
                atom = Math.max(atom, 1);
            } else if (c == '[') {
                int j = i + 1;
                if (j < n && re.charAt(j) == '^') {
                    j++;
                }
                if (j < n && re.charAt(j) == ']') {
                    j++;
                }
                while (j < n && re.charAt(j) != ']') {
                    j += re.charAt(j) == '\\' ? 2 : 1;
                }
                i = Math.min(j + 1, n);
                atom = 1;
            } else if (c == '(') {
                if (++depth > TokenizerLimits.MAX_PATTERN_DEPTH) {
                    throw new IllegalArgumentException("nests groups deeper than the limit of "
                            + TokenizerLimits.MAX_PATTERN_DEPTH);
                }
                sum[depth] = 0;
                lastAtom[depth] = 0;
                i++;
                continue;
            } else if (c == ')') {
                if (depth == 0) {
                    i++;
                    continue; // unbalanced: RE2/J reports it
                }
                atom = sum[depth--] + 1;
                i++;
            } else if (c == '|') {
                sum[depth] += 1;
                lastAtom[depth] = 0;
                i++;
                continue;
            } else if (c == '*' || c == '+' || c == '?') {
                sum[depth] = Math.min(cap, sum[depth] + lastAtom[depth]);
                lastAtom[depth] = Math.min(cap, 2 * lastAtom[depth]);
                i++;
                continue;
            } else if (c == '{') {
                int close = re.indexOf('}', i);
                long count = close < 0 ? -1 : repeatCount(re.substring(i + 1, close));
                if (count >= 0) {
                    sum[depth] = Math.min(cap, sum[depth] + lastAtom[depth] * Math.max(0, count - 1));
                    lastAtom[depth] = Math.min(cap, lastAtom[depth] * Math.max(1, count));
                    i = close + 1;
                    continue;
                }
                atom = 1;
                i++;
            } else {
                atom = 1;
                i++;
            }
            sum[depth] = Math.min(cap, sum[depth] + atom);
            lastAtom[depth] = atom;
            if (sum[depth] > TokenizerLimits.MAX_PATTERN_NODES) {
                throw tooLarge();
            }
        }
        while (depth > 0) { // unclosed groups: RE2/J reports them, but count what is there
            sum[depth - 1] += sum[depth];
            depth--;
        }
        if (sum[0] > TokenizerLimits.MAX_PATTERN_NODES) {
            throw tooLarge();
        }
    }

    /** The larger bound of {@code n}, {@code n,} or {@code n,m} (plus one for open ranges), or -1 if not a count. */
    private static long repeatCount(String body) {
        if (!body.matches("\\d{1,9}(,\\d{0,9})?")) {
            return -1;
        }
        int comma = body.indexOf(',');
        if (comma < 0) {
            return Long.parseLong(body);
        }
        String hi = body.substring(comma + 1);
        return hi.isEmpty() ? Long.parseLong(body.substring(0, comma)) + 1 : Long.parseLong(hi);
    }

    private static IllegalArgumentException tooLarge() {
        return new IllegalArgumentException("expands to more than " + TokenizerLimits.MAX_PATTERN_NODES
                + " regex nodes once its counted repetitions are written out (nested or large {n,m})");
    }

    private static IllegalArgumentException unsupported(String what) {
        return new IllegalArgumentException("uses " + what + ", which is not supported");
    }

    private static boolean isHex(String s, int from, int to) {
        for (int i = from; i < to; i++) {
            if (Character.digit(s.charAt(i), 16) < 0) {
                return false;
            }
        }
        return true;
    }

    @Override
    public String toString() { return source; }
}

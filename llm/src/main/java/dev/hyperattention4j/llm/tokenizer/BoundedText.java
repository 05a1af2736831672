package dev.hyperattention4j.llm.tokenizer;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Text for matching a pre-tokenizer regex that came from a model file, with a budget of character reads. A
 * tokenizer.json may carry any regex; one with catastrophic backtracking (e.g. {@code (a+)+$}) would otherwise hang
 * {@code encode} for hours, and one with deep group repetition can overflow the stack. Real pre-tokenizers (GPT-2,
 * Llama 3, Qwen2) read each character a handful of times, far below the budget.
 */
final class BoundedText implements CharSequence {
    /** Character reads allowed per input character, plus a constant for short texts. */
    static final long READS_PER_CHAR = 256, READS_BASE = 1 << 16;

    private final String text;
    private long budget;

    private BoundedText(String text) {
        this.text = text;
        this.budget = READS_BASE + READS_PER_CHAR * text.length();
    }

    /** A matcher of {@code pattern} over {@code text} that fails instead of running away. */
    static Matcher matcher(Pattern pattern, String text) {
        return pattern.matcher(new BoundedText(text));
    }

    /** The error for a pattern that exhausted its budget or the stack while matching {@code text}. */
    static IllegalArgumentException runaway(Pattern pattern, String text, Throwable cause) {
        String shown = pattern.pattern().length() > 80 ? pattern.pattern().substring(0, 80) + "…" : pattern.pattern();
        return new IllegalArgumentException("the tokenizer's pre-tokenizer pattern '" + shown + "' "
                + (cause instanceof StackOverflowError ? "overflows the stack" : "backtracks catastrophically")
                + " on a text chunk of " + text.length() + " characters; the tokenizer file is unusable for this text",
                cause);
    }

    /** Thrown when the budget is used up. */
    static final class Exhausted extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Exhausted() {
            super(null, null, false, false);
        }
    }

    @Override
    public char charAt(int index) {
        if (--budget < 0) {
            throw new Exhausted();
        }
        return text.charAt(index);
    }

    @Override
    public int length() { return text.length(); }

    @Override
    public CharSequence subSequence(int start, int end) { return text.subSequence(start, end); }

    @Override
    public String toString() { return text; }
}

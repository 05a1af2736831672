package dev.hyperattention4j.llm.tokenizer;

/**
 * Text for matching a pre-tokenizer regex that came from a model file, with a budget of character reads shared by
 * every search over it. The engine ({@link SplitPattern}) reads each character a bounded number of times per search,
 * but finding every match of some patterns (e.g. {@code a*b|a} on "aaa…") restarts a search that reads to the end of
 * the text at every position; the budget turns that quadratic case into an error. Real pre-tokenizers (GPT-2,
 * Llama 3, Qwen2) read each character a few times, far below the budget.
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

    static BoundedText of(String text) {
        return new BoundedText(text);
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

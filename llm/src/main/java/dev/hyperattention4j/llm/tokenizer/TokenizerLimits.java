package dev.hyperattention4j.llm.tokenizer;

/**
 * The bounds a tokenizer file must respect, so that building and running a tokenizer costs time linear in the file
 * and the text (docs/RELIABILITY.md lists them for users). Each is far above what real vocabularies and
 * pre-tokenizers use.
 */
public final class TokenizerLimits {
    /**
     * Longest vocabulary piece, in UTF-16 characters. Real vocabularies stay below 256 (runs of spaces or dashes in
     * code-trained ones); building the merge table reads every piece a constant number of times, and a longer piece
     * is refused instead of slowing every command down.
     */
    public static final int MAX_PIECE_CHARS = 1024;
    /** Longest llama2.c {@code max_token_length}, in bytes: {@link #MAX_PIECE_CHARS} characters of up to 4 bytes. */
    public static final int MAX_PIECE_BYTES = 4 * MAX_PIECE_CHARS;
    /** Longest pre-tokenizer regex, in characters (GPT-2's is 73, Llama 3's 129). */
    public static final int MAX_PATTERN_CHARS = 4096;
    /**
     * Largest pre-tokenizer regex after expanding counted repetitions ({@code a{3}} counts 3), in regex nodes; it
     * bounds the engine's work per character (Llama 3's pattern: under 100).
     */
    public static final int MAX_PATTERN_NODES = 5000;
    /** Deepest group nesting in a pre-tokenizer regex. */
    public static final int MAX_PATTERN_DEPTH = 64;

    private TokenizerLimits() {}
}

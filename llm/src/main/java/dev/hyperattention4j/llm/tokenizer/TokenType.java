package dev.hyperattention4j.llm.tokenizer;

/** Token kinds, numbered as GGUF's {@code tokenizer.ggml.token_type} (and SentencePiece). */
public enum TokenType {
    NORMAL(1), UNKNOWN(2), CONTROL(3), USER_DEFINED(4), UNUSED(5), BYTE(6);

    private final int code;

    TokenType(int code) { this.code = code; }

    public int code() { return code; }

    /** The type for a GGUF code, or null when the code is not one of the six. */
    public static TokenType ofCode(int code) {
        for (TokenType t : values()) {
            if (t.code == code) {
                return t;
            }
        }
        return null;
    }

    /** Whether ordinary BPE merges may use or produce this token. */
    boolean mergeable() { return this == NORMAL; }
}

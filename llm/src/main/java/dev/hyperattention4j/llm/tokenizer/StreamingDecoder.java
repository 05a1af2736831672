package dev.hyperattention4j.llm.tokenizer;

/**
 * Decodes one stream of generated tokens incrementally. Unlike {@link Tokenizer#decodeToken}, it keeps the bytes of
 * an incomplete UTF-8 sequence (split over byte-fallback or byte-level tokens) until the sequence completes, so
 * concatenating every returned string plus {@link #flush()} equals {@link Tokenizer#decode} of the whole stream.
 * Not thread-safe: one instance per stream.
 */
public interface StreamingDecoder {
    /** Text completed by {@code token} (possibly empty). */
    String next(int token);

    /** Whatever is still buffered (an incomplete UTF-8 tail becomes U+FFFD). */
    String flush();
}

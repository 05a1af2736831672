package dev.hyperattention4j.llm.tokenizer;

/** Text ↔ token ids. Implementations are immutable and thread-safe. */
public interface Tokenizer {
    /** Token ids of {@code text}, with the BOS id first when {@code addBos}. */
    int[] encode(String text, boolean addBos);

    /** The text of a sequence of ids (special tokens such as BOS/EOS decode to nothing). */
    String decode(int[] ids);

    /**
     * The text of one token given the previous one, for streaming (handles the leading-space rule of
     * SentencePiece vocabularies). Byte-fallback pieces of an incomplete UTF-8 sequence may come back empty and
     * be emitted with the following token: implementations buffer them.
     */
    String decodeToken(int previous, int token);

    int vocabSize();

    int bosId();

    int eosId();

    /** "hf-bpe", "llama2c", "gguf-llama", "gguf-gpt2", ... */
    String kind();

    /**
     * A stateful decoder for one generated stream that buffers incomplete UTF-8 across tokens. The default relies
     * on {@link #decodeToken}; byte-level tokenizers override it.
     */
    default StreamingDecoder streamingDecoder() {
        return new StreamingDecoder() {
            private int previous = -1;

            @Override
            public String next(int token) {
                String text = decodeToken(previous, token);
                previous = token;
                return text;
            }

            @Override
            public String flush() { return ""; }
        };
    }
}

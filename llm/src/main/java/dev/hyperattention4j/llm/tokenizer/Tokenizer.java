package dev.hyperattention4j.llm.tokenizer;

/** Text ↔ token ids. Implementations are immutable and thread-safe. */
public interface Tokenizer {
    /** Token ids of {@code text}, with the BOS id first when {@code addBos}. */
    int[] encode(String text, boolean addBos);

    /**
     * Token ids of {@code text} as the continuation of earlier text: no BOS and no dummy prefix, so the first word
     * is tokenised as it is written (a line after a newline, for example). The default suits tokenizers that add
     * no dummy prefix.
     */
    default int[] encodeContinuation(String text) {
        return encode(text, false);
    }

    /**
     * The dummy-prefix token(s) that {@link #encode} puts in front of non-empty text (SentencePiece's
     * {@code add_dummy_prefix}, llama2.c's {@code " "}, HF's {@code Prepend("▁")}), encoded on their own; empty
     * when the tokenizer adds none.
     */
    default int[] dummyPrefix() {
        return new int[0];
    }

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

    /**
     * Whether {@code encode(text, true)} puts BOS first: a vocabulary may name a BOS token that its model does not
     * expect in front of a prompt (GGUF {@code tokenizer.ggml.add_bos_token} false: phi-2, ChatGLM, Qwen2).
     */
    default boolean addsBos() {
        return bosId() >= 0;
    }

    int eosId();

    /**
     * Every token that ends a generated sequence: {@link #eosId()} plus the others the model file lists (a list of
     * {@code eos_token_id}s in config.json; GGUF's end-of-turn and end-of-message tokens).
     */
    default int[] stopIds() {
        return eosId() >= 0 ? new int[] {eosId()} : new int[0];
    }

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

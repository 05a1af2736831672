package dev.hyperattention4j.chat;

import dev.hyperattention4j.llm.tokenizer.Tokenizer;

/** A tokenizer without special tokens, for tests that only read template metadata. */
enum StubTokenizer implements Tokenizer {
    INSTANCE;

    @Override public int[] encode(String text, boolean addBos) { return text.chars().toArray(); }

    @Override public String decode(int[] ids) { return new String(ids, 0, ids.length); }

    @Override public String decodeToken(int previous, int token) { return Character.toString(token); }

    @Override public int vocabSize() { return 65536; }

    @Override public int bosId() { return -1; }

    @Override public int eosId() { return -1; }

    @Override public String kind() { return "stub"; }
}

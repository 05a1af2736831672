package dev.hyperattention4j.llm.quantize;

import dev.hyperattention4j.llm.format.gguf.GgufWriter;
import dev.hyperattention4j.llm.tokenizer.BpeTokenizer;
import dev.hyperattention4j.llm.tokenizer.TokenType;

/**
 * The {@code tokenizer.ggml.*} keys of a vocabulary that did not come from a GGUF file (safetensors'
 * tokenizer.json, llama2.c's tokenizer.bin), in the GGUF ecosystem's conventions: SentencePiece-style vocabularies
 * as model {@code llama} (pieces with "▁" for spaces, scores, token types, plus the ranked merges of an HF BPE
 * vocabulary, which scores cannot express), byte-level BPE as model {@code gpt2} with its merges and the
 * pre-tokenizer name ({@code qwen2} for Qwen2, {@code default} otherwise).
 */
final class GgufTokenizerKeys {
    private GgufTokenizerKeys() {}

    static void write(GgufWriter w, BpeTokenizer tok, String architecture) {
        int n = tok.vocabSize();
        boolean sentencePiece = tok.mode() == BpeTokenizer.Mode.SENTENCEPIECE;
        String[] pieces = new String[n];
        int[] types = new int[n];
        for (int i = 0; i < n; i++) {
            TokenType t = tok.type(i);
            String p = tok.piece(i);
            if (sentencePiece && t == TokenType.NORMAL && tok.spaceSymbol() == ' ') {
                p = p.replace(' ', '\u2581'); // llama2.c stores spaces; SentencePiece vocabularies use "▁"
            }
            pieces[i] = p;
            types[i] = t.code();
        }
        w.putString("tokenizer.ggml.model", sentencePiece ? "llama" : "gpt2");
        if (!sentencePiece) {
            w.putString("tokenizer.ggml.pre", architecture.equals("qwen2") ? "qwen2" : "default");
        }
        w.putStrings("tokenizer.ggml.tokens", pieces);
        float[] scores = tok.scores();
        if (scores == null) { // ranked vocabularies: the merges decide, scores only keep the array complete
            scores = new float[n];
            for (int i = 0; i < n; i++) {
                scores[i] = -i;
            }
        }
        w.putFloats("tokenizer.ggml.scores", scores);
        w.putInts("tokenizer.ggml.token_type", types);
        if (tok.merges() != null && !tok.merges().isEmpty()) {
            String[] merges = new String[tok.merges().size()];
            for (int i = 0; i < merges.length; i++) {
                merges[i] = tok.merges().get(i)[0] + " " + tok.merges().get(i)[1];
            }
            w.putStrings("tokenizer.ggml.merges", merges);
        }
        if (tok.bosId() >= 0) {
            w.putUInt32("tokenizer.ggml.bos_token_id", tok.bosId());
        }
        if (tok.eosId() >= 0) {
            w.putUInt32("tokenizer.ggml.eos_token_id", tok.eosId());
        }
        if (tok.unknownId() >= 0) {
            w.putUInt32("tokenizer.ggml.unknown_token_id", tok.unknownId());
        }
        w.putBool("tokenizer.ggml.add_bos_token", sentencePiece && tok.bosId() >= 0);
        w.putBool("tokenizer.ggml.add_eos_token", false);
        if (sentencePiece) {
            w.putBool("tokenizer.ggml.add_space_prefix", tok.addsPrefix());
        }
    }
}

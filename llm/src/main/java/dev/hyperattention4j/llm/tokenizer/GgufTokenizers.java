package dev.hyperattention4j.llm.tokenizer;

import dev.hyperattention4j.llm.format.gguf.GgufFormatException;
import dev.hyperattention4j.llm.format.gguf.GgufMetadata;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds the tokenizer embedded in a GGUF file from its {@code tokenizer.ggml.*} keys:
 * <ul>
 *   <li>{@code model = "llama"}: SentencePiece-style; pieces use "▁" for spaces, merges by {@code scores} (highest
 *       first), {@code <0xXX>} byte fallback, a "▁" prefix unless {@code add_space_prefix} is false. If the file
 *       also carries {@code merges} (our converter writes them for HF BPE vocabularies, whose merge ranks scores
 *       cannot express exactly), those ranked merges are used instead.</li>
 *   <li>{@code model = "gpt2"}: byte-level BPE with ranked {@code merges} and the pre-tokenizer regex named by
 *       {@code tokenizer.ggml.pre} ({@code llama-bpe}/{@code llama3}: Llama 3's; {@code qwen2}: Qwen2's;
 *       {@code default}/{@code gpt2} or absent: GPT-2's; {@code smollm}: single digits then GPT-2's).</li>
 * </ul>
 * Control and user-defined tokens ({@code token_type} 3 and 4) written literally in the text are recognised.
 */
public final class GgufTokenizers {
    /** Llama 3's pre-tokenizer: case-insensitive contractions, letters, 1-3 digit groups, punctuation, spaces. */
    public static final String LLAMA3_PATTERN = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+"
            + "|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    /** Qwen2's: as Llama 3's but every digit alone. */
    public static final String QWEN2_PATTERN = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+"
            + "|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

    private GgufTokenizers() {}

    public static BpeTokenizer build(Path file, GgufMetadata md) throws GgufFormatException, TokenizerFormatException {
        String model = md.string("tokenizer.ggml.model", null);
        if (model == null) {
            throw new TokenizerFormatException(file, "tokenizer.ggml.model", "the file has no embedded tokenizer");
        }
        String[] tokens = md.strings("tokenizer.ggml.tokens");
        int n = tokens.length;
        TokenType[] types = new TokenType[n];
        if (md.has("tokenizer.ggml.token_type")) {
            int[] codes = md.ints("tokenizer.ggml.token_type");
            if (codes.length != n) {
                throw new TokenizerFormatException(file, "tokenizer.ggml.token_type", codes.length
                        + " entries for " + n + " tokens");
            }
            for (int i = 0; i < n; i++) {
                types[i] = TokenType.ofCode(codes[i]);
                if (types[i] == null) {
                    throw new TokenizerFormatException(file, "tokenizer.ggml.token_type", "token " + i
                            + " has unknown type " + codes[i]);
                }
            }
        } else { // older files: recognise byte-fallback pieces by their spelling so they decode to bytes
            for (int i = 0; i < n; i++) {
                types[i] = tokens[i].length() == 6 && tokens[i].startsWith("<0x") && tokens[i].endsWith(">")
                        ? TokenType.BYTE : TokenType.NORMAL;
            }
        }
        List<String[]> merges = md.has("tokenizer.ggml.merges") ? merges(file, md.strings("tokenizer.ggml.merges"))
                : null;
        BpeTokenizer.Builder b = new BpeTokenizer.Builder().source(file, "tokenizer.ggml.tokens").pieces(tokens)
                .types(types).merges(merges).splitSpecials(true)
                .bosId(id(md, "tokenizer.ggml.bos_token_id", n)).eosId(id(md, "tokenizer.ggml.eos_token_id", n))
                .unkId(id(md, "tokenizer.ggml.unknown_token_id", n))
                .stopIds(java.util.stream.IntStream.of(id(md, "tokenizer.ggml.eot_token_id", n),
                        id(md, "tokenizer.ggml.eom_token_id", n)).filter(id -> id >= 0).toArray());
        switch (model) {
            case "llama" -> {
                if (merges == null) {
                    float[] scores = md.floats("tokenizer.ggml.scores");
                    if (scores.length != n) {
                        throw new TokenizerFormatException(file, "tokenizer.ggml.scores", scores.length
                                + " scores for " + n + " tokens");
                    }
                    b.scores(scores);
                }
                b.kind("gguf-llama").mode(BpeTokenizer.Mode.SENTENCEPIECE).spaceSymbol('\u2581')
                        .addPrefix(md.bool("tokenizer.ggml.add_space_prefix", true)).byteFallback(true)
                        .fuseUnknown(true) // as SentencePiece: a run of unknown characters is one <unk>
                        .addsBos(md.bool("tokenizer.ggml.add_bos_token", true));
            }
            case "gpt2" -> {
                if (merges == null) {
                    throw new TokenizerFormatException(file, "tokenizer.ggml.merges", "a gpt2 vocabulary needs merges");
                }
                String pre = md.string("tokenizer.ggml.pre", "default");
                List<SplitPattern> patterns = new ArrayList<>();
                switch (pre) {
                    case "llama-bpe", "llama3", "llama-v3", "smaug-bpe" -> patterns.add(compile(LLAMA3_PATTERN));
                    case "qwen2" -> patterns.add(compile(QWEN2_PATTERN));
                    case "default", "gpt2", "gpt-2" -> patterns.add(compile(HfTokenizerJson.GPT2_PATTERN));
                    case "smollm" -> {
                        patterns.add(compile("\\p{N}"));
                        patterns.add(compile(HfTokenizerJson.GPT2_PATTERN));
                    }
                    default -> throw new TokenizerFormatException(file, "tokenizer.ggml.pre", "pre-tokenizer '"
                            + pre + "' is not supported (llama-bpe, qwen2, smollm, default)");
                }
                b.kind("gguf-gpt2").mode(BpeTokenizer.Mode.BYTE_LEVEL).addPrefix(false).preTokenizer(patterns)
                        .ignoreMerges(pre.startsWith("llama"))
                        // llama.cpp's default for byte-level vocabularies: BOS only for the Llama 3 pre-tokenizers
                        .addsBos(md.bool("tokenizer.ggml.add_bos_token", pre.startsWith("llama")
                                || pre.equals("smaug-bpe")));
            }
            default -> throw new TokenizerFormatException(file, "tokenizer.ggml.model", "'" + model
                    + "' is not supported (llama, gpt2)");
        }
        return b.build();
    }

    private static SplitPattern compile(String regex) { return SplitPattern.compile(regex); }

    private static int id(GgufMetadata md, String key, int vocab) throws GgufFormatException {
        return (int) md.integer(key, -1, vocab - 1, -1);
    }

    private static List<String[]> merges(Path file, String[] lines) throws TokenizerFormatException {
        List<String[]> out = new ArrayList<>(lines.length);
        for (int i = 0; i < lines.length; i++) {
            int space = lines[i].indexOf(' ', 1);
            if (space < 0) {
                throw new TokenizerFormatException(file, "tokenizer.ggml.merges[" + i + "]", "'" + lines[i]
                        + "' is not two tokens separated by a space");
            }
            out.add(new String[] {lines[i].substring(0, space), lines[i].substring(space + 1)});
        }
        return out;
    }
}

package dev.hyperattention4j.llm.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hyperattention4j.llm.format.io.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Reads a Hugging Face {@code tokenizer.json} whose model is BPE, in the two shapes Llama-family checkpoints use:
 * <ul>
 *   <li>SentencePiece-like (Llama 2, Mistral, TinyStories): normalizer {@code Prepend("▁")} +
 *       {@code Replace(" " → "▁")}, or a {@code Metaspace} pre-tokenizer; byte fallback; merges by rank.</li>
 *   <li>Byte-level (Llama 3, Qwen2, SmolLM): {@code ByteLevel} pre-tokenizer, possibly after {@code Split} regexes
 *       and {@code Digits}; optional NFC normalizer.</li>
 * </ul>
 * Added tokens are recognised in the text before normalisation (HF's default); special ones decode to nothing.
 * Anything else (WordPiece, Unigram, other normalizers) is rejected with a {@link TokenizerFormatException} rather
 * than silently tokenised differently.
 */
public final class HfTokenizerJson {
    /** GPT-2's pre-tokenizer regex, applied by ByteLevel when {@code use_regex} is true. */
    public static final String GPT2_PATTERN =
            "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";
    private static final ObjectMapper JSON = Json.MAPPER;
    private static final int MAX_VOCAB = 1 << 22;

    private HfTokenizerJson() {}

    /**
     * @param bosId     BOS id from config.json, or -1
     * @param eosId     EOS id from config.json, or -1
     * @param modelVocab rows of the embedding; the tokenizer may not have more tokens (0 to skip the check)
     */
    public static BpeTokenizer read(Path file, int bosId, int eosId, int modelVocab) throws IOException {
        return read(file, bosId, eosId, new int[0], modelVocab);
    }

    /** As {@link #read(Path, int, int, int)}, with more end-of-sequence ids (config.json's list). */
    public static BpeTokenizer read(Path file, int bosId, int eosId, int[] moreEosIds, int modelVocab)
            throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new TokenizerFormatException(file, "tokenizer.json", "is missing (needed next to the weights)");
        }
        if (Files.size(file) > 128L << 20) { // real files are < 40 MB; bounds the JSON tree
            throw new TokenizerFormatException(file, "tokenizer.json", "is implausibly large");
        }
        JsonNode root;
        try {
            root = JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new TokenizerFormatException(file, "tokenizer.json", "is not valid JSON: " + e.getMessage());
        }
        if (root == null || !root.isObject()) {
            throw new TokenizerFormatException(file, "tokenizer.json", "is not a JSON object");
        }
        JsonNode model = root.path("model");
        String type = model.path("type").asText("BPE");
        if (!type.equals("BPE")) {
            throw new TokenizerFormatException(file, "model.type", "'" + type + "' is not supported (BPE only)");
        }
        for (String unsupported : new String[] {"continuing_subword_prefix", "end_of_word_suffix"}) {
            if (model.hasNonNull(unsupported) && !model.get(unsupported).asText().isEmpty()) {
                throw new TokenizerFormatException(file, "model." + unsupported, "is not supported");
            }
        }
        JsonNode vocab = model.path("vocab");
        if (!vocab.isObject() || vocab.isEmpty()) {
            throw new TokenizerFormatException(file, "model.vocab", "is missing or empty");
        }
        int size = 0;
        for (JsonNode id : vocab) {
            size = Math.max(size, checkId(file, "model.vocab", id) + 1);
        }
        JsonNode added = root.path("added_tokens");
        for (JsonNode a : added) {
            size = Math.max(size, checkId(file, "added_tokens", a.path("id")) + 1);
        }
        if (modelVocab > 0 && size > modelVocab) {
            throw new TokenizerFormatException(file, "model.vocab", "has " + size + " tokens but the model only "
                    + modelVocab + " embedding rows");
        }
        String[] pieces = new String[size];
        TokenType[] types = new TokenType[size];
        for (Iterator<Map.Entry<String, JsonNode>> it = vocab.properties().iterator(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            pieces[e.getValue().asInt()] = e.getKey();
            types[e.getValue().asInt()] = TokenType.NORMAL;
        }
        for (JsonNode a : added) {
            int id = a.path("id").asInt();
            pieces[id] = a.path("content").asText();
            types[id] = a.path("special").asBoolean(false) ? TokenType.CONTROL : TokenType.USER_DEFINED;
        }
        for (int i = 0; i < size; i++) {
            if (pieces[i] == null) { // holes in the id space: placeholders that never match text
                pieces[i] = "<unused-id-" + i + ">";
                types[i] = TokenType.UNUSED;
            }
        }
        String unk = model.path("unk_token").asText(null);
        int unkId = -1;
        if (unk != null && vocab.has(unk)) {
            unkId = vocab.get(unk).asInt();
            types[unkId] = TokenType.UNKNOWN;
        }
        for (int i = 0; i < size; i++) {
            if (types[i] == TokenType.NORMAL && pieces[i].length() == 6 && pieces[i].startsWith("<0x")
                    && pieces[i].endsWith(">") && model.path("byte_fallback").asBoolean(false)) {
                types[i] = TokenType.BYTE;
            }
        }
        BpeTokenizer.Builder b = new BpeTokenizer.Builder().kind("hf-bpe").source(file, "model.vocab")
                .pieces(pieces).types(types).merges(merges(file, model.path("merges")))
                .byteFallback(model.path("byte_fallback").asBoolean(false))
                .ignoreMerges(model.path("ignore_merges").asBoolean(false))
                .fuseUnknown(model.path("fuse_unk").asBoolean(false))
                .unkId(unkId).bosId(bosId).eosId(eosId).stopIds(moreEosIds).splitSpecials(true).addPrefix(false)
                .prefixEverySegment(true);
        normalizer(file, root.path("normalizer"), b);
        List<SplitPattern> patterns = new ArrayList<>();
        preTokenizer(file, root.path("pre_tokenizer"), b, patterns);
        b.preTokenizer(patterns);
        return b.build();
    }

    private static int checkId(Path file, String field, JsonNode id) throws TokenizerFormatException {
        if (!id.isIntegralNumber() || !id.canConvertToInt() || id.asInt() < 0 || id.asInt() >= MAX_VOCAB) {
            throw new TokenizerFormatException(file, field, "invalid token id " + id);
        }
        return id.asInt();
    }

    private static List<String[]> merges(Path file, JsonNode merges) throws TokenizerFormatException {
        List<String[]> out = new ArrayList<>(merges.size());
        int i = 0;
        for (JsonNode m : merges) {
            String[] pair;
            if (m.isTextual()) { // "left right" (older files)
                String s = m.asText();
                int space = s.indexOf(' ', 1);
                pair = space < 0 ? null : new String[] {s.substring(0, space), s.substring(space + 1)};
            } else if (m.isArray() && m.size() == 2) { // ["left", "right"] (tokenizers >= 0.20)
                pair = new String[] {m.get(0).asText(), m.get(1).asText()};
            } else {
                pair = null;
            }
            if (pair == null) {
                throw new TokenizerFormatException(file, "model.merges[" + i + "]", "is not a pair: " + m);
            }
            out.add(pair);
            i++;
        }
        return out;
    }

    private static void normalizer(Path file, JsonNode n, BpeTokenizer.Builder b) throws TokenizerFormatException {
        if (n.isMissingNode() || n.isNull()) {
            return;
        }
        switch (n.path("type").asText()) {
            case "Sequence" -> {
                for (JsonNode child : n.path("normalizers")) {
                    normalizer(file, child, b);
                }
            }
            case "Prepend" -> {
                if (!n.path("prepend").asText().equals("\u2581")) {
                    throw new TokenizerFormatException(file, "normalizer.prepend", "only \"▁\" is supported");
                }
                b.addPrefix(true).spaceSymbol('\u2581');
            }
            case "Replace" -> {
                if (!n.path("pattern").path("String").asText("").equals(" ")
                        || !n.path("content").asText().equals("\u2581")) {
                    throw new TokenizerFormatException(file, "normalizer.Replace", "only ' ' → '▁' is supported");
                }
                b.spaceSymbol('\u2581');
            }
            case "NFC" -> b.nfc(true);
            default -> throw new TokenizerFormatException(file, "normalizer.type", "'" + n.path("type").asText()
                    + "' is not supported");
        }
    }

    private static void preTokenizer(Path file, JsonNode n, BpeTokenizer.Builder b, List<SplitPattern> patterns)
            throws TokenizerFormatException {
        if (n.isMissingNode() || n.isNull()) {
            return;
        }
        switch (n.path("type").asText()) {
            case "Sequence" -> {
                for (JsonNode child : n.path("pretokenizers")) {
                    preTokenizer(file, child, b, patterns);
                }
            }
            case "ByteLevel" -> {
                b.mode(BpeTokenizer.Mode.BYTE_LEVEL).addPrefix(n.path("add_prefix_space").asBoolean(false))
                        .prefixEverySegment(false);
                if (n.path("use_regex").asBoolean(true)) {
                    patterns.add(compile(file, GPT2_PATTERN));
                }
            }
            case "Split" -> {
                String regex = n.path("pattern").path("Regex").asText(null);
                if (regex == null) {
                    String literal = n.path("pattern").path("String").asText(null);
                    regex = literal == null ? null : "\\Q" + literal.replace("\\E", "\\E\\\\E\\Q") + "\\E";
                }
                if (regex == null || !n.path("behavior").asText("Isolated").equals("Isolated")
                        || n.path("invert").asBoolean(false)) {
                    throw new TokenizerFormatException(file, "pre_tokenizer.Split",
                            "only non-inverted Isolated splits are supported");
                }
                patterns.add(compile(file, regex));
            }
            case "Digits" -> patterns.add(compile(file, n.path("individual_digits").asBoolean(false)
                    ? "\\p{N}" : "\\p{N}+"));
            case "Metaspace" -> {
                String scheme = n.path("prepend_scheme").asText(n.path("add_prefix_space").asBoolean(true)
                        ? "always" : "never");
                b.spaceSymbol('\u2581').addPrefix(!scheme.equals("never")).prefixEverySegment(scheme.equals("always"));
                if (n.path("split").asBoolean(false)) {
                    patterns.add(compile(file, "\u2581[^\u2581]*")); // a piece starts at every "▁"
                }
            }
            default -> throw new TokenizerFormatException(file, "pre_tokenizer.type", "'" + n.path("type").asText()
                    + "' is not supported");
        }
    }

    private static SplitPattern compile(Path file, String regex) throws TokenizerFormatException {
        try {
            return SplitPattern.compile(regex);
        } catch (IllegalArgumentException e) {
            throw new TokenizerFormatException(file, "pre_tokenizer.pattern", e.getMessage());
        }
    }
}

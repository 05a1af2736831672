package dev.hyperattention4j.llm.tokenizer;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hyperattention4j.llm.format.io.Json;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a vocabulary the runtime loaded from a file without a {@code tokenizer.json} (llama2.c's tokenizer.bin, a
 * GGUF file's {@code tokenizer.ggml.*} keys) as a Hugging Face {@code tokenizer.json} with a BPE model, such that
 * {@link HfTokenizerJson} reads it back into a tokenizer giving the same ids for every text:
 * <ul>
 *   <li>SentencePiece-style vocabularies (llama2.c, GGUF {@code llama}): a {@code Metaspace} pre-tokenizer ("▁" for
 *       spaces, the dummy prefix on the first segment when the source adds one), {@code byte_fallback} when the
 *       vocabulary has {@code <0xNN>} tokens, and the merges the scores imply: every split of a mergeable piece into
 *       two mergeable pieces, ranked by the piece's score, highest first. llama2.c's spaces (' ') become "▁".</li>
 *   <li>Byte-level vocabularies (GGUF {@code gpt2}): the pieces and ranked merges as they are, the pre-tokenizer
 *       regexes as {@code Split} steps before a {@code ByteLevel} step (GPT-2's regex as ByteLevel's own).</li>
 * </ul>
 * Control tokens become special added tokens, user-defined ones non-special added tokens, the unknown token the
 * model's {@code unk_token}; unused ids are left out of the vocabulary (the reader fills such holes with
 * placeholders that never match text, as the source treats them). What a BPE tokenizer.json cannot say is refused
 * with a {@link TokenizerFormatException} naming the reason: two pieces with the same text, score ties between
 * merged pieces (SentencePiece breaks them by position in the text, a ranked merge list cannot), a literal "▁" in a
 * llama2.c piece.
 */
public final class HfTokenizerJsonWriter {
    private static final char METASPACE = '\u2581';

    private HfTokenizerJsonWriter() {
    }

    /** The tokenizer.json of {@code tok}; {@code source} names the vocabulary's file in error messages. */
    public static ObjectNode write(BpeTokenizer tok, java.nio.file.Path source) throws TokenizerFormatException {
        boolean byteLevel = tok.mode() == BpeTokenizer.Mode.BYTE_LEVEL;
        if (byteLevel && tok.merges() == null) {
            throw new TokenizerFormatException(source, "merges", "a byte-level vocabulary with score-driven merges "
                    + "has no tokenizer.json export");
        }
        int n = tok.vocabSize();
        String[] pieces = new String[n];
        for (int i = 0; i < n; i++) {
            pieces[i] = exportedPiece(tok, i, source);
        }
        Map<String, Integer> ids = new HashMap<>(n * 2);
        for (int i = 0; i < n; i++) {
            if (tok.type(i) == TokenType.UNUSED) {
                continue;
            }
            Integer other = ids.putIfAbsent(pieces[i], i);
            if (other != null) {
                throw new TokenizerFormatException(source, "vocabulary", "tokens " + other + " and " + i
                        + " are both '" + pieces[i] + "'; a tokenizer.json vocabulary maps each text to one id");
            }
        }
        ObjectNode root = Json.MAPPER.createObjectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        for (int i = 0; i < n; i++) {
            TokenType t = tok.type(i);
            if (t == TokenType.CONTROL || t == TokenType.USER_DEFINED) {
                added.addObject().put("id", i).put("content", pieces[i]).put("single_word", false)
                        .put("lstrip", false).put("rstrip", false).put("normalized", false)
                        .put("special", t == TokenType.CONTROL);
            }
        }
        if (byteLevel) {
            byteLevelPipeline(tok, root);
        } else {
            sentencePiecePipeline(tok, root, source);
        }
        ObjectNode model = root.putObject("model");
        model.put("type", "BPE").putNull("dropout");
        if (tok.unknownId() >= 0) {
            model.put("unk_token", pieces[tok.unknownId()]);
        } else {
            model.putNull("unk_token");
        }
        boolean byteTokens = false;
        for (int i = 0; i < n; i++) {
            byteTokens |= tok.type(i) == TokenType.BYTE;
        }
        model.putNull("continuing_subword_prefix").putNull("end_of_word_suffix").put("fuse_unk", tok.fusesUnknown())
                .put("byte_fallback", !byteLevel && byteTokens).put("ignore_merges", tok.ignoresMerges());
        ObjectNode vocab = model.putObject("vocab");
        for (int i = 0; i < n; i++) {
            if (tok.type(i) != TokenType.UNUSED) {
                vocab.put(pieces[i], i);
            }
        }
        List<String[]> merges = byteLevel ? tok.merges() : scoreMerges(tok, pieces, ids, source);
        ArrayNode list = model.putArray("merges");
        boolean spaces = merges.stream().anyMatch(m -> m[0].indexOf(' ') >= 0 || m[1].indexOf(' ') >= 0);
        for (String[] m : merges) {
            if (spaces) { // the pair form (tokenizers >= 0.20) keeps pieces with spaces apart
                list.addArray().add(m[0]).add(m[1]);
            } else {
                list.add(m[0] + " " + m[1]);
            }
        }
        return root;
    }

    /** The piece as the tokenizer.json spells it: llama2.c's ' ' becomes "▁" in mergeable pieces. */
    private static String exportedPiece(BpeTokenizer tok, int id, java.nio.file.Path source)
            throws TokenizerFormatException {
        String p = tok.piece(id);
        if (tok.mode() == BpeTokenizer.Mode.SENTENCEPIECE && tok.spaceSymbol() != METASPACE) {
            if (tok.spaceSymbol() != ' ') {
                throw new TokenizerFormatException(source, "vocabulary", "space symbol U+"
                        + Integer.toHexString(tok.spaceSymbol()) + " has no tokenizer.json spelling (only ' ' or ▁)");
            }
            if (p.indexOf(METASPACE) >= 0) {
                throw new TokenizerFormatException(source, "token[" + id + "]", "contains '▁', which stands for "
                        + "the space once llama2.c's spaces are written as '▁'");
            }
            if (tok.type(id) == TokenType.NORMAL) {
                p = p.replace(' ', METASPACE);
            }
        }
        return p;
    }

    private static void sentencePiecePipeline(BpeTokenizer tok, ObjectNode root, java.nio.file.Path source)
            throws TokenizerFormatException {
        if (!tok.preTokenizer().isEmpty() || tok.normalizesNfc()) {
            throw new TokenizerFormatException(source, "pre_tokenizer", "a SentencePiece-style vocabulary with "
                    + "pre-tokenizer regexes or NFC has no tokenizer.json export here");
        }
        root.putNull("normalizer");
        String scheme = !tok.addsPrefix() ? "never" : tok.prefixesEverySegment() ? "always" : "first";
        root.putObject("pre_tokenizer").put("type", "Metaspace").put("replacement", String.valueOf(METASPACE))
                .put("prepend_scheme", scheme).put("split", false);
        postProcessor(tok, root);
        ObjectNode decoder = root.putObject("decoder").put("type", "Sequence");
        ArrayNode steps = decoder.putArray("decoders");
        steps.addObject().put("type", "Replace").put("content", " ").putObject("pattern")
                .put("String", String.valueOf(METASPACE));
        steps.addObject().put("type", "ByteFallback");
        steps.addObject().put("type", "Fuse");
        if (tok.addsPrefix()) {
            steps.addObject().put("type", "Strip").put("content", " ").put("start", 1).put("stop", 0);
        }
    }

    private static void byteLevelPipeline(BpeTokenizer tok, ObjectNode root) {
        if (tok.normalizesNfc()) {
            root.putObject("normalizer").put("type", "NFC");
        } else {
            root.putNull("normalizer");
        }
        List<SplitPattern> patterns = tok.preTokenizer();
        boolean gpt2Last = !patterns.isEmpty()
                && patterns.getLast().source().equals(HfTokenizerJson.GPT2_PATTERN);
        ObjectNode pre = root.putObject("pre_tokenizer").put("type", "Sequence");
        ArrayNode steps = pre.putArray("pretokenizers");
        for (int i = 0; i < patterns.size() - (gpt2Last ? 1 : 0); i++) {
            ObjectNode split = steps.addObject().put("type", "Split");
            split.putObject("pattern").put("Regex", patterns.get(i).source());
            split.put("behavior", "Isolated").put("invert", false);
        }
        steps.addObject().put("type", "ByteLevel").put("add_prefix_space", tok.addsPrefix()).put("trim_offsets", false)
                .put("use_regex", gpt2Last);
        postProcessor(tok, root);
        root.putObject("decoder").put("type", "ByteLevel").put("add_prefix_space", true).put("trim_offsets", true)
                .put("use_regex", true);
    }

    /** BOS in front of every sequence when the source adds it (other tools read this; the runtime, config.json). */
    private static void postProcessor(BpeTokenizer tok, ObjectNode root) {
        if (!tok.addsBos()) {
            root.putNull("post_processor");
            return;
        }
        String bos = tok.piece(tok.bosId());
        ObjectNode p = root.putObject("post_processor").put("type", "TemplateProcessing");
        ArrayNode single = p.putArray("single");
        single.addObject().putObject("SpecialToken").put("id", bos).put("type_id", 0);
        single.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
        ArrayNode pair = p.putArray("pair");
        pair.addObject().putObject("SpecialToken").put("id", bos).put("type_id", 0);
        pair.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
        pair.addObject().putObject("SpecialToken").put("id", bos).put("type_id", 1);
        pair.addObject().putObject("Sequence").put("id", "B").put("type_id", 1);
        p.putObject("special_tokens").putObject(bos).put("id", bos).putArray("ids").add(tok.bosId());
        ((ObjectNode) p.get("special_tokens").get(bos)).putArray("tokens").add(bos);
    }

    /** One merge the scores imply: {@code left + right = merged}, ranked by the merged piece's score. */
    private record ScoredMerge(float score, int merged, int split, String left, String right) {
    }

    /**
     * The ranked merges equivalent to score-driven merging: every split of a mergeable piece into two mergeable
     * pieces, highest score first (the runtime's rule, {@code BpeTokenizer}'s scored merges). Pieces that tie on
     * score would need SentencePiece's leftmost-first rule between different pairs, which a merge list cannot
     * express: refused.
     */
    private static List<String[]> scoreMerges(BpeTokenizer tok, String[] pieces, Map<String, Integer> ids,
                                              java.nio.file.Path source) throws TokenizerFormatException {
        float[] scores = tok.scores();
        if (scores == null) { // a SentencePiece-style vocabulary that came with ranked merges keeps them
            List<String[]> out = new ArrayList<>();
            for (String[] m : tok.merges()) {
                out.add(new String[] {exportedPiece(tok, tok.idOf(m[0]), source),
                        exportedPiece(tok, tok.idOf(m[1]), source)});
            }
            return out;
        }
        List<ScoredMerge> merges = new ArrayList<>();
        for (int id = 0; id < pieces.length; id++) {
            String p = pieces[id];
            if (tok.type(id) != TokenType.NORMAL || p.codePointCount(0, p.length()) < 2) {
                continue;
            }
            for (int k = p.offsetByCodePoints(0, 1); k < p.length(); k = p.offsetByCodePoints(k, 1)) {
                Integer left = ids.get(p.substring(0, k)), right = ids.get(p.substring(k));
                if (left != null && right != null && tok.type(left) == TokenType.NORMAL
                        && tok.type(right) == TokenType.NORMAL) {
                    merges.add(new ScoredMerge(scores[id], id, k, pieces[left], pieces[right]));
                }
            }
        }
        merges.sort(Comparator.comparingDouble((ScoredMerge m) -> -m.score()).thenComparingInt(ScoredMerge::merged)
                .thenComparingInt(ScoredMerge::split));
        List<String[]> out = new ArrayList<>(merges.size());
        for (int i = 0; i < merges.size(); i++) {
            ScoredMerge m = merges.get(i);
            if (i > 0 && merges.get(i - 1).score() == m.score() && merges.get(i - 1).merged() != m.merged()) {
                throw new TokenizerFormatException(source, "scores", "tokens " + merges.get(i - 1).merged() + " and "
                        + m.merged() + " share the score " + m.score() + "; ranked tokenizer.json merges cannot "
                        + "express SentencePiece's leftmost-first rule between them");
            }
            out.add(new String[] {m.left(), m.right()});
        }
        return out;
    }
}

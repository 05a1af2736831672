package dev.hyperattention4j.llm.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hyperattention4j.llm.format.io.Json;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Small hand-made vocabularies of every kind the writer handles, exported and read back by {@link HfTokenizerJson}:
 * the same ids on texts that reach each rule (score-ordered merges, byte fallback, unknown runs, user-defined and
 * control tokens written literally, unused ids, pre-tokenizer regexes), and one-line refusals of what a BPE
 * tokenizer.json cannot say. The shared models' vocabularies are covered by the train package's FineTuneSourceTest.
 */
class HfTokenizerJsonWriterTest {
    private static final List<String> TEXTS = List.of("abc ab a cab bca", "  ab  abc\n\tc ", "ñ and ✓ ab",
            "a<tool>b</s>abc <s> ab", "unknown ✓✓✓ run", "12345 ab 6", "", " ");

    /** llama2.c style (spaces as ' ') or SentencePiece style ("▁"), with score-driven merges. */
    private static BpeTokenizer.Builder sentencePiece(char space, boolean bytes) {
        List<String> p = new ArrayList<>(List.of("<unk>", "<s>", "</s>"));
        List<TokenType> t = new ArrayList<>(List.of(TokenType.UNKNOWN, TokenType.CONTROL, TokenType.CONTROL));
        if (bytes) {
            for (int b = 0; b < 256; b++) {
                p.add(BpeTokenizer.bytePiece(b));
                t.add(TokenType.BYTE);
            }
        }
        String s = String.valueOf(space);
        // merged pieces first, with their (distinct) scores; then the characters
        String[] merged = {s + "a", "ab", "bc", s + "ab", "abc", "ca", s + "abc", s + "c", "1", "2", "3", "4", "5",
                "6", "n", "d", "u", "k", "o", "w", "r", "\n", "\t", "ñ"};
        for (String m : merged) {
            p.add(m);
            t.add(TokenType.NORMAL);
        }
        for (String c : new String[] {s, "a", "b", "c"}) {
            p.add(c);
            t.add(TokenType.NORMAL);
        }
        p.add("<tool>");
        t.add(TokenType.USER_DEFINED);
        p.add("zz");
        t.add(TokenType.UNUSED);
        float[] scores = new float[p.size()];
        for (int i = 0; i < scores.length; i++) {
            scores[i] = -i;
        }
        return new BpeTokenizer.Builder().pieces(p.toArray(String[]::new)).types(t.toArray(TokenType[]::new))
                .scores(scores).spaceSymbol(space).addPrefix(true).byteFallback(bytes).unkId(0).bosId(1).eosId(2);
    }

    /**
     * llama2.c's encoder does not look for control tokens in the text; a tokenizer.json's added tokens are always
     * recognised. So text that spells a control piece (llama2.c's are "\n&lt;s&gt;\n" and "\n&lt;/s&gt;\n")
     * becomes that token after the export, the one documented difference.
     */
    @Test
    void llama2cStyleVocabularyReadsBackWithTheSameIds(@TempDir Path dir) throws Exception {
        BpeTokenizer.Builder b = sentencePiece(' ', true).kind("llama2c");
        b.pieces[1] = "\n<s>\n";
        b.pieces[2] = "\n</s>\n";
        b.types[Arrays.asList(b.pieces).indexOf("<tool>")] = TokenType.NORMAL; // llama2.c has no user-defined type
        BpeTokenizer back = roundTrip(b.build(), dir);
        assertArrayEquals(new int[] {1}, back.encodeContinuation("\n<s>\n"), "a spelled-out control token");
    }

    @Test
    void ggufLlamaStyleVocabularyReadsBackWithTheSameIds(@TempDir Path dir) throws Exception {
        roundTrip(sentencePiece('\u2581', true).kind("gguf-llama").splitSpecials(true).fuseUnknown(true).build(),
                dir);
        roundTrip(sentencePiece('\u2581', false).kind("gguf-llama").splitSpecials(true).fuseUnknown(true)
                .addPrefix(false).build(), dir);
    }

    @Test
    void byteLevelVocabularyWithPreTokenizersReadsBackWithTheSameIds(@TempDir Path dir) throws Exception {
        List<String> p = new ArrayList<>();
        for (int b = 0; b < 256; b++) {
            p.add(String.valueOf(ByteLevel.toChar(b)));
        }
        String g = String.valueOf(ByteLevel.toChar(' '));
        p.addAll(List.of("ab", g + "a", g + "ab", "abc", "<|endoftext|>"));
        TokenType[] types = new TokenType[p.size()];
        Arrays.fill(types, TokenType.NORMAL);
        types[p.size() - 1] = TokenType.CONTROL;
        List<String[]> merges = List.of(new String[] {"a", "b"}, new String[] {g, "a"}, new String[] {g + "a", "b"},
                new String[] {"ab", "c"});
        for (List<SplitPattern> pre : List.of(List.of(SplitPattern.compile(HfTokenizerJson.GPT2_PATTERN)),
                List.of(SplitPattern.compile("\\p{N}"), SplitPattern.compile(HfTokenizerJson.GPT2_PATTERN)),
                List.of(SplitPattern.compile(GgufTokenizers.QWEN2_PATTERN)))) {
            BpeTokenizer tok = new BpeTokenizer.Builder().kind("gguf-gpt2").mode(BpeTokenizer.Mode.BYTE_LEVEL)
                    .pieces(p.toArray(String[]::new)).types(types).merges(merges).addPrefix(false)
                    .preTokenizer(pre).splitSpecials(true).bosId(p.size() - 1).eosId(p.size() - 1).addsBos(false)
                    .build();
            roundTrip(tok, dir);
        }
    }

    @Test
    void whatATokenizerJsonCannotSayIsRefusedInOneLine() {
        BpeTokenizer.Builder tied = sentencePiece('\u2581', true);
        float[] scores = tied.scores.clone();
        scores[Arrays.asList(tied.pieces).indexOf("bc")] = scores[Arrays.asList(tied.pieces).indexOf("ab")];
        TokenizerFormatException tie = assertThrows(TokenizerFormatException.class,
                () -> HfTokenizerJsonWriter.write(tied.scores(scores).build(), Path.of("tied.gguf")));
        assertTrue(tie.getMessage().contains("share the score"), tie.getMessage());
        BpeTokenizer.Builder twice = sentencePiece('\u2581', true);
        String[] pieces = twice.pieces.clone();
        pieces[Arrays.asList(pieces).indexOf("ca")] = "abc";
        TokenizerFormatException dup = assertThrows(TokenizerFormatException.class,
                () -> HfTokenizerJsonWriter.write(twice.pieces(pieces).build(), Path.of("dup.gguf")));
        assertTrue(dup.getMessage().contains("are both 'abc'"), dup.getMessage());
        BpeTokenizer.Builder meta = sentencePiece(' ', true);
        String[] withMeta = meta.pieces.clone();
        withMeta[Arrays.asList(withMeta).indexOf("ca")] = "c\u2581";
        TokenizerFormatException ms = assertThrows(TokenizerFormatException.class,
                () -> HfTokenizerJsonWriter.write(meta.pieces(withMeta).build(), Path.of("tokenizer.bin")));
        assertTrue(ms.getMessage().contains("'▁'"), ms.getMessage());
        for (Exception e : List.of(tie, dup, ms)) {
            assertTrue(!e.getMessage().contains("\n"), e.getMessage());
        }
    }

    private static BpeTokenizer roundTrip(BpeTokenizer source, Path dir) throws Exception {
        Path file = dir.resolve("tokenizer.json");
        Json.MAPPER.writeValue(file.toFile(), HfTokenizerJsonWriter.write(source, Path.of("source")));
        BpeTokenizer back = HfTokenizerJson.read(file, source.addsBos() ? source.bosId() : -1, source.eosId(), 0);
        assertEquals(source.mode(), back.mode());
        for (String text : TEXTS) {
            int[] ids = source.encode(text, true);
            assertArrayEquals(ids, back.encode(text, true), source.kind() + ": '" + text + "'");
            assertArrayEquals(source.encodeContinuation(text), back.encodeContinuation(text), text);
            assertEquals(source.decode(ids), back.decode(ids), text);
        }
        assertTrue(source.mergeCount() > 0 && source.mergeCount() == back.mergeCount(), "merge count "
                + source.mergeCount() + " vs " + back.mergeCount());
        return back;
    }
}

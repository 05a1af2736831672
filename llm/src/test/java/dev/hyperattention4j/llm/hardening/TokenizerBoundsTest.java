package dev.hyperattention4j.llm.hardening;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hyperattention4j.llm.format.gguf.GgufValueType;
import dev.hyperattention4j.llm.model.DType;
import dev.hyperattention4j.llm.model.ModelFormatException;
import dev.hyperattention4j.llm.model.ModelLoader;
import dev.hyperattention4j.llm.testing.GgufWriter;
import dev.hyperattention4j.llm.testing.TinyModels;
import dev.hyperattention4j.llm.tokenizer.BpeTokenizer;
import dev.hyperattention4j.llm.tokenizer.Llama2cTokenizerReader;
import dev.hyperattention4j.llm.tokenizer.TokenizerFormatException;
import dev.hyperattention4j.llm.tokenizer.TokenizerLimits;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Building a tokenizer costs time linear in its file (issue #25): a piece longer than
 * {@link TokenizerLimits#MAX_PIECE_CHARS} is refused naming the file, the field and the limit, and the score-driven
 * merge table is built without copying substrings, checked against a naive llama2.c-style encoder.
 */
class TokenizerBoundsTest {

    @Test
    @Timeout(60)
    void aMillionCharacterGgufPieceIsRefusedNamingTheFieldAndTheLimit(@TempDir Path dir) throws Exception {
        // issue #25: this piece hung every command (the merge builder took a substring at every split point)
        List<String> pieces = new ArrayList<>(TinyModels.pieces());
        pieces.set(261, "a".repeat(1_000_000));
        GgufWriter w = TinyModels.gguf(DType.F32, 3).putArray("tokenizer.ggml.tokens", GgufValueType.STRING, pieces);
        Path file = w.write(dir.resolve("model.gguf"));
        assertThatThrownBy(() -> ModelLoader.open(file, null).close()).isInstanceOf(ModelFormatException.class)
                .hasMessage(file + ": tokenizer.ggml.tokens[261]: piece of 1000000 characters is longer than the limit "
                        + "of 1024");
    }

    @Test
    void aLlama2cTokenizerWithHugeTokensIsRefusedBeforeReadingThem(@TempDir Path dir) throws Exception {
        // issue #25: 60 pieces of 65,536 bytes took 30 s
        TinyModelFiles.TokenEntry[] vocab = TinyModelFiles.llama2cVocab();
        Path file = Files.write(dir.resolve("tokenizer.bin"), TinyModelFiles.tokenizerBin(65_536, vocab));
        assertThatThrownBy(() -> Llama2cTokenizerReader.read(file, vocab.length))
                .isInstanceOf(TokenizerFormatException.class)
                .hasMessage(file + ": max_token_length: 65536 bytes is longer than the limit of 4096 for one piece "
                        + "(at byte offset 0)");
    }

    @Test
    @Timeout(60)
    void piecesAtTheLimitBuildInLinearTime() throws Exception {
        // the worst case for a substring per split point: every prefix of the longest piece is a piece too, and
        // thousands of pieces have the maximal length
        List<String> pieces = new ArrayList<>();
        List<Float> scores = new ArrayList<>();
        for (int k = 1; k <= TokenizerLimits.MAX_PIECE_CHARS; k++) {
            pieces.add("a".repeat(k));
            scores.add((float) k);
        }
        SplittableRandom r = new SplittableRandom(7);
        for (int i = 0; i < 3000; i++) {
            char[] c = new char[TokenizerLimits.MAX_PIECE_CHARS];
            for (int j = 0; j < c.length; j++) {
                c[j] = (char) ('b' + r.nextInt(20));
            }
            pieces.add(new String(c));
            scores.add(-1f);
        }
        for (char c = 'b'; c < 'b' + 20; c++) {
            pieces.add(String.valueOf(c));
            scores.add(0f);
        }
        BpeTokenizer tok = sentencePiece(pieces, scores);
        assertThat(tok.encode("a".repeat(TokenizerLimits.MAX_PIECE_CHARS), false))
                .containsExactly(TokenizerLimits.MAX_PIECE_CHARS - 1);
        assertThat(tok.encode("a".repeat(1500), false)).containsExactly(TokenizerLimits.MAX_PIECE_CHARS - 1, 475);
    }

    @Test
    void scoreDrivenMergesEqualANaiveHighestScoreFirstEncoder() throws Exception {
        SplittableRandom r = new SplittableRandom(11);
        String alphabet = "ab\u2581c";
        for (int trial = 0; trial < 40; trial++) {
            List<String> pieces = new ArrayList<>();
            List<Float> scores = new ArrayList<>();
            for (char c : alphabet.toCharArray()) {
                pieces.add(String.valueOf(c));
                scores.add((float) r.nextInt(-3, 3));
            }
            for (int i = 0; i < 60; i++) {
                StringBuilder p = new StringBuilder();
                for (int k = r.nextInt(2, 7); k > 0; k--) {
                    p.append(alphabet.charAt(r.nextInt(alphabet.length())));
                }
                pieces.add(p.toString()); // duplicates included: the first id wins
                scores.add((float) r.nextInt(-8, 8)); // ties included: the leftmost pair wins
            }
            BpeTokenizer tok = sentencePiece(pieces, scores);
            for (int t = 0; t < 50; t++) {
                StringBuilder text = new StringBuilder();
                for (int k = r.nextInt(30); k > 0; k--) {
                    text.append(alphabet.charAt(r.nextInt(alphabet.length())));
                }
                assertThat(tok.encode(text.toString(), false)).as("trial %d text %s", trial, text)
                        .containsExactly(naiveEncode(text.toString(), pieces, scores));
            }
        }
    }

    private static BpeTokenizer sentencePiece(List<String> pieces, List<Float> scores) throws Exception {
        float[] s = new float[scores.size()];
        for (int i = 0; i < s.length; i++) {
            s[i] = scores.get(i);
        }
        return new BpeTokenizer.Builder().pieces(pieces.toArray(String[]::new)).scores(s).addPrefix(false)
                .byteFallback(false).build();
    }

    /** llama2.c's encode: repeatedly merge the adjacent pair whose concatenation scores highest, leftmost first. */
    private static int[] naiveEncode(String text, List<String> pieces, List<Float> scores) {
        Map<String, Integer> id = new HashMap<>();
        for (int i = 0; i < pieces.size(); i++) {
            id.putIfAbsent(pieces.get(i), i);
        }
        List<String> syms = new ArrayList<>();
        for (char c : text.toCharArray()) {
            syms.add(String.valueOf(c));
        }
        while (true) {
            int best = -1;
            float bestScore = Float.NEGATIVE_INFINITY;
            for (int i = 0; i + 1 < syms.size(); i++) {
                Integer m = id.get(syms.get(i) + syms.get(i + 1));
                if (m != null && scores.get(m) > bestScore) {
                    best = i;
                    bestScore = scores.get(m);
                }
            }
            if (best < 0) {
                break;
            }
            syms.set(best, syms.get(best) + syms.remove(best + 1));
        }
        return syms.stream().mapToInt(id::get).toArray();
    }
}

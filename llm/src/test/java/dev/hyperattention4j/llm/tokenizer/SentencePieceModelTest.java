package dev.hyperattention4j.llm.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hyperattention4j.llm.testing.SentencePieceWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The SentencePiece {@code tokenizer.model} reader: a BPE model with byte fallback becomes ChatGLM's tokenizer (its
 * specials appended as control tokens); Unigram models and corrupt files are refused with the field named. The
 * golden check (reference ids of a 3000-character text) is in HfGoldenTest.
 */
class SentencePieceModelTest {
    @TempDir
    Path dir;

    private Path model(int modelType) throws Exception {
        List<String> pieces = new ArrayList<>(List.of("<unk>", "<s>", "</s>"));
        for (int b = 0; b < 256; b++) {
            pieces.add("<0x%02X>".formatted(b));
        }
        pieces.addAll(List.of("\u2581", "a", "b", "\u2581a", "ab", "\u2581ab"));
        int[] types = new int[pieces.size()];
        float[] scores = new float[pieces.size()];
        for (int i = 0; i < types.length; i++) {
            types[i] = i == 0 ? 2 : i < 3 ? 3 : i < 259 ? 6 : 1;
            scores[i] = i < 259 ? 0 : -(i - 259);
        }
        return SentencePieceWriter.write(dir.resolve("tokenizer.model"), pieces, scores, types, modelType, true, true);
    }

    @Test
    void bpeModelBecomesChatglmTokenizer() throws Exception {
        Path f = model(2);
        BpeTokenizer t = SentencePieceModel.read(f).chatglm(f, -1);
        assertThat(t.vocabSize()).isEqualTo(265 + 9);
        assertThat(t.eosId()).isEqualTo(2);
        assertThat(t.bosId()).isEqualTo(-1);
        assertThat(t.idOf("[gMASK]")).isEqualTo(266);
        assertThat(t.type(273)).isEqualTo(TokenType.CONTROL);
        // "▁ab" is the best-scored merge chain; "é" falls back to its two UTF-8 byte tokens
        assertThat(t.encode("ab", true)).containsExactly(264);
        assertThat(t.encode("ab é", false)).containsExactly(264, 259, 3 + 0xC3, 3 + 0xA9);
        assertThat(t.encode("[gMASK]sop", false)).startsWith(266, 268);
    }

    @Test
    void unigramAndCorruptFilesAreRefused() throws Exception {
        Path unigram = model(1);
        assertThatThrownBy(() -> SentencePieceModel.read(unigram)).isInstanceOf(TokenizerFormatException.class)
                .hasMessageContainingAll("trainer_spec.model_type", "only BPE");
        byte[] bytes = Files.readAllBytes(model(2));
        Path cut = Files.write(dir.resolve("cut.model"), java.util.Arrays.copyOf(bytes, bytes.length / 2));
        assertThatThrownBy(() -> SentencePieceModel.read(cut)).isInstanceOf(TokenizerFormatException.class)
                .hasMessageContaining("not a valid SentencePiece model");
    }
}

package dev.hyperattention4j.llm.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hyperattention4j.llm.model.Model;
import dev.hyperattention4j.llm.model.ModelLoader;
import dev.hyperattention4j.llm.testing.SharedData;
import dev.hyperattention4j.llm.testing.TinyModels;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The tokenizer.json shapes of the supported families beyond TinyStories: Mistral's newer Metaspace
 * pre-tokenizer, SmolLM's Digits + ByteLevel, Qwen2's NFC normalizer; and the O(n log n) merge loop on a
 * pathological single-word input.
 */
class HfTokenizerVariantsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    private BpeTokenizer read(ObjectNode root) throws Exception {
        Path file = tmp.resolve("tokenizer-" + System.nanoTime() + ".json");
        JSON.writeValue(file.toFile(), root);
        return HfTokenizerJson.read(file, 1, 2, 0);
    }

    @Test
    void metaspacePreTokenizerEqualsPrependReplaceNormalizer() throws Exception {
        ObjectNode normalizerStyle = TinyModels.tokenizerJson();
        ObjectNode metaspaceStyle = TinyModels.tokenizerJson();
        metaspaceStyle.putNull("normalizer");
        metaspaceStyle.putObject("pre_tokenizer").put("type", "Metaspace").put("replacement", "\u2581")
                .put("prepend_scheme", "first").put("split", false);
        BpeTokenizer a = read(normalizerStyle);
        BpeTokenizer b = read(metaspaceStyle);
        String text = "a a  aa é";
        assertThat(b.encode(text, true)).containsExactly(a.encode(text, true));
        assertThat(b.encode("a a", false)).containsExactly(261, 261);
        assertThat(b.decode(b.encode(text, true))).isEqualTo(text);
    }

    /** ByteLevel vocabulary of ByteLevelBpeTest as a tokenizer.json with the given pre-tokenizers. */
    private static ObjectNode byteLevel(List<ObjectNode> preTokenizers, ObjectNode normalizer) {
        ObjectNode root = JSON.createObjectNode();
        ObjectNode model = root.putObject("model");
        model.put("type", "BPE");
        ObjectNode vocab = model.putObject("vocab");
        List<String> tokens = ByteLevelBpeTest.vocabulary();
        for (int i = 0; i < ByteLevelBpeTest.EOT; i++) {
            vocab.put(tokens.get(i), i);
        }
        ArrayNode merges = model.putArray("merges");
        for (int i = 256; i < ByteLevelBpeTest.EOT; i++) {
            merges.add(ByteLevelBpeTest.MERGES[i - 256][0] + " " + ByteLevelBpeTest.MERGES[i - 256][1]);
        }
        ObjectNode pre = root.putObject("pre_tokenizer").put("type", "Sequence");
        pre.putArray("pretokenizers").addAll(preTokenizers);
        if (normalizer != null) {
            root.set("normalizer", normalizer);
        }
        return root;
    }

    @Test
    void smolLmDigitsThenByteLevel() throws Exception {
        ObjectNode digits = JSON.createObjectNode().put("type", "Digits").put("individual_digits", true);
        ObjectNode byteLevel = JSON.createObjectNode().put("type", "ByteLevel").put("add_prefix_space", false)
                .put("use_regex", true);
        BpeTokenizer tok = read(byteLevel(List.of(digits, byteLevel), null));
        // digits split one by one before the GPT-2 regex, so "123" never merges; " world" still does
        assertThat(tok.encode("123 world", false)).containsExactly('1', '2', '3', 264);
        assertThat(tok.decode(tok.encode("x 42, héllo\n\t東", false))).isEqualTo("x 42, héllo\n\t東");
    }

    @Test
    void qwen2NfcNormalizer() throws Exception {
        ObjectNode split = JSON.createObjectNode().put("type", "Split").put("behavior", "Isolated")
                .put("invert", false);
        split.putObject("pattern").put("Regex", GgufTokenizers.QWEN2_PATTERN);
        ObjectNode byteLevel = JSON.createObjectNode().put("type", "ByteLevel").put("use_regex", false);
        BpeTokenizer tok = read(byteLevel(List.of(split, byteLevel), JSON.createObjectNode().put("type", "NFC")));
        // "e" + combining acute (U+0301) is composed to "é" first, so the "Ã ©" merge (id 267) applies
        assertThat(tok.encode("cafe\u0301", false)).containsExactly('c', 'a', 'f', 267);
        assertThat(tok.encode("café", false)).containsExactly('c', 'a', 'f', 267);
    }

    @Test
    void millionCharacterTextMergesInNearLinearTime() throws Exception {
        Path dir = SharedData.tinystories656k();
        // this tokenizer has no pre-tokenizer, so the whole text is one BPE word: a merge loop that rescans the
        // sequence per merge would need ~10^11 steps here
        String word = "Lily saw the big red ball. ".repeat(37_000);
        try (Model m = ModelLoader.open(dir)) {
            Tokenizer tok = m.tokenizer();
            int[] ids = Assertions.assertTimeoutPreemptively(Duration.ofSeconds(30), () -> tok.encode(word, false));
            assertThat(ids.length).isLessThan(word.length() / 3);
            assertThat(tok.decode(ids)).isEqualTo(word);
        }
    }
}

package dev.hyperattention4j.llm.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hyperattention4j.llm.format.gguf.GgufFile;
import dev.hyperattention4j.llm.format.gguf.GgufValueType;
import dev.hyperattention4j.llm.testing.GgufWriter;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Byte-level BPE on a hand-made vocabulary: ids 0..255 are the 256 byte characters (id = byte value), then
 * thirteen merges, then one control token. Expected ids are worked out by hand from the pre-tokenizer split
 * (letters, 1-3 digit groups, punctuation runs with trailing newlines, lone spaces before non-space) and the merge
 * ranks; the same vocabulary is read from a GGUF {@code gpt2} tokenizer and from a {@code tokenizer.json}.
 */
class ByteLevelBpeTest {
    static final String[][] MERGES = {
            {"h", "e"}, {"l", "l"}, {"he", "ll"}, {"hell", "o"}, {"Ġ", "w"}, {"o", "r"}, {"Ġw", "or"}, {"l", "d"},
            {"Ġwor", "ld"}, {"1", "2"}, {"12", "3"}, {"Ã", "©"}, {"Ġ", "Ġ"}};
    static final int EOT = 256 + MERGES.length; // 269
    static final String TEXT = "hello world 12345 café  !!\n\n東<|eot|>x";

    @TempDir
    Path tmp;

    static List<String> vocabulary() {
        List<String> tokens = new ArrayList<>();
        for (int b = 0; b < 256; b++) {
            tokens.add(String.valueOf(ByteLevel.toChar(b)));
        }
        for (String[] m : MERGES) {
            tokens.add(m[0] + m[1]);
        }
        tokens.add("<|eot|>");
        return tokens;
    }

    private BpeTokenizer fromGguf(String pre) throws Exception { return fromGguf(tmp, pre); }

    /** The hand-made vocabulary as a GGUF gpt2 tokenizer with pre-tokenizer {@code pre}, written under dir. */
    static BpeTokenizer fromGguf(Path tmp, String pre) throws Exception {
        List<String> tokens = vocabulary();
        List<Integer> types = new ArrayList<>();
        for (int i = 0; i < tokens.size(); i++) {
            types.add(i == EOT ? TokenType.CONTROL.code() : TokenType.NORMAL.code());
        }
        List<String> merges = new ArrayList<>();
        for (String[] m : MERGES) {
            merges.add(m[0] + " " + m[1]);
        }
        GgufWriter w = new GgufWriter().putString("tokenizer.ggml.model", "gpt2").putString("tokenizer.ggml.pre", pre)
                .putArray("tokenizer.ggml.tokens", GgufValueType.STRING, tokens)
                .putArray("tokenizer.ggml.token_type", GgufValueType.INT32, types)
                .putArray("tokenizer.ggml.merges", GgufValueType.STRING, merges)
                .putUInt32("tokenizer.ggml.bos_token_id", EOT).putUInt32("tokenizer.ggml.eos_token_id", EOT);
        Path file = tmp.resolve("tok-" + pre + ".gguf");
        byte[] bytes = w.toBytes();
        Files.write(file, bytes);
        return GgufTokenizers.build(file, GgufFile.parse(file, MemorySegment.ofArray(bytes)).metadata());
    }

    @ParameterizedTest(name = "pre={0}")
    @CsvSource(delimiter = ';', value = {
            // Llama 3: digits in groups of three, the lone space before "12345" is its own chunk
            "llama-bpe;259 264 32 266 52 53 32 99 97 102 267 32 32 33 33 10 10 230 157 177 269 120",
            // Qwen2: every digit alone
            "qwen2;259 264 32 49 50 51 52 53 32 99 97 102 267 32 32 33 33 10 10 230 157 177 269 120",
            // GPT-2: " 12345" is one chunk, merged to Ġ 123 4 5; " !!" then "\n\n" separately
            "default;259 264 32 266 52 53 32 99 97 102 267 32 32 33 33 10 10 230 157 177 269 120"})
    void ggufGpt2EncodesHandWorkedIds(String pre, String expected) throws Exception {
        BpeTokenizer tok = fromGguf(pre);
        int[] want = java.util.Arrays.stream(expected.split(" ")).mapToInt(Integer::parseInt).toArray();
        assertThat(tok.kind()).isEqualTo("gguf-gpt2");
        assertThat(tok.encode(TEXT, false)).containsExactly(want);
        // control tokens decode to nothing; everything else round-trips byte for byte
        assertThat(tok.decode(want)).isEqualTo(TEXT.replace("<|eot|>", ""));
        // without tokenizer.ggml.add_bos_token, llama.cpp adds BOS for the Llama 3 pre-tokenizer only
        assertThat(tok.encode(TEXT, true)).startsWith(pre.equals("llama-bpe") ? new int[] {EOT, want[0]} : want);
    }

    @Test
    void splitsAsDocumented() throws Exception {
        BpeTokenizer tok = fromGguf("llama-bpe");
        assertThat(tok.encode("hello", false)).containsExactly(259);
        assertThat(tok.encode(" world", false)).containsExactly(264);
        // "world" without its leading space does not get the Ġ merges
        assertThat(tok.encode("world", false)).containsExactly('w', 261, 263);
        // three spaces before a word: "  " (whitespace not followed by non-space) then " world"; ĠĠ merges
        assertThat(tok.encode("   world", false)).containsExactly(268, 264);
        // apostrophe contractions are their own chunk, case-insensitively
        assertThat(tok.encode("HE'LL", false)).containsExactly('H', 'E', '\'', 'L', 'L');
    }

    @Test
    void tokenizerJsonByteLevelMatchesGguf() throws Exception {
        ObjectMapper json = new ObjectMapper();
        ObjectNode root = json.createObjectNode();
        ObjectNode model = root.putObject("model");
        model.put("type", "BPE");
        model.put("ignore_merges", true);
        ObjectNode vocab = model.putObject("vocab");
        List<String> tokens = vocabulary();
        for (int i = 0; i < EOT; i++) {
            vocab.put(tokens.get(i), i);
        }
        ArrayNode merges = model.putArray("merges");
        for (String[] m : MERGES) {
            merges.addArray().add(m[0]).add(m[1]); // the newer pair form
        }
        ObjectNode added = root.putArray("added_tokens").addObject();
        added.put("id", EOT).put("content", "<|eot|>").put("special", true);
        ObjectNode pre = root.putObject("pre_tokenizer");
        pre.put("type", "Sequence");
        ArrayNode list = pre.putArray("pretokenizers");
        ObjectNode split = list.addObject();
        split.put("type", "Split").put("behavior", "Isolated").put("invert", false);
        split.putObject("pattern").put("Regex", GgufTokenizers.LLAMA3_PATTERN);
        list.addObject().put("type", "ByteLevel").put("add_prefix_space", false).put("use_regex", false);
        Path file = tmp.resolve("tokenizer.json");
        json.writeValue(file.toFile(), root);
        BpeTokenizer hf = HfTokenizerJson.read(file, -1, EOT, 0);
        assertThat(hf.kind()).isEqualTo("hf-bpe");
        assertThat(hf.encode(TEXT, false)).containsExactly(fromGguf("llama-bpe").encode(TEXT, false));
        assertThat(hf.decode(hf.encode(TEXT, false))).isEqualTo(TEXT.replace("<|eot|>", ""));
    }

    @Test
    void streamingDecoderHoldsSplitUtf8() throws Exception {
        BpeTokenizer tok = fromGguf("llama-bpe");
        StreamingDecoder d = tok.streamingDecoder();
        assertThat(d.next(230)).isEmpty(); // first byte of 東
        assertThat(d.next(157)).isEmpty();
        assertThat(d.next(177)).isEqualTo("東");
        assertThat(d.next(259)).isEqualTo("hello");
        // the stateless variant cannot buffer: an incomplete piece comes back empty
        assertThat(tok.decodeToken(259, 230)).isEmpty();
        assertThat(tok.decodeToken(259, 264)).isEqualTo(" world");
    }
}

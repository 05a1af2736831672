package dev.hyperattention4j.llm.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hyperattention4j.llm.model.Model;
import dev.hyperattention4j.llm.model.ModelLoader;
import dev.hyperattention4j.llm.testing.SharedData;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * decode(encode(text)) == text on the shared books for every tokenizer kind: llama2.c, HF tokenizer.json, GGUF
 * llama (both models converted), GGUF gpt2 byte-level (Llama 3 and Qwen2 splits). A 200 kB prefix keeps it quick.
 */
class BookRoundTripTest {
    private static final int PREFIX_CHARS = 200_000;

    @TempDir
    static Path tmp;

    static Stream<Arguments> cases() {
        return Stream.of("stories260K/stories260K.bin", "tinystories-656k", "gguf:stories260K/stories260K.bin",
                        "gguf:tinystories-656k", "gpt2:llama-bpe", "gpt2:qwen2")
                .flatMap(model -> Stream.of("alice.txt", "peter_pan.txt", "war_and_peace.txt",
                        "tinystories_sample.txt").map(book -> Arguments.of(model, book)));
    }

    /**
     * "x": the shared model x; "gguf:x": x converted to GGUF (its gguf-llama tokenizer); "gpt2:pre": the hand-made
     * byte-level vocabulary of {@link ByteLevelBpeTest} with that pre-tokenizer.
     */
    private static Tokenizer open(String spec, java.util.List<AutoCloseable> toClose) throws Exception {
        if (spec.startsWith("gpt2:")) {
            return ByteLevelBpeTest.fromGguf(tmp, spec.substring(5));
        }
        boolean gguf = spec.startsWith("gguf:");
        Model m = ModelLoader.open(SharedData.require("models/" + spec.substring(gguf ? 5 : 0)));
        toClose.add(m);
        if (gguf) {
            Path file = tmp.resolve(spec.replaceAll("[^A-Za-z0-9]", "_") + ".gguf");
            if (!Files.exists(file)) {
                dev.hyperattention4j.llm.testing.GgufConverter.convert(m, dev.hyperattention4j.llm.model.DType.F32,
                        file);
            }
            m = ModelLoader.open(file);
            toClose.add(m);
        }
        return m.tokenizer();
    }

    @ParameterizedTest(name = "{0} on {1}")
    @MethodSource("cases")
    void roundTrips(String model, String book) throws Exception {
        Path bookPath = SharedData.require("texts/" + book);
        String text = Files.readString(bookPath, StandardCharsets.UTF_8);
        text = text.substring(0, Math.min(text.length(), PREFIX_CHARS));
        java.util.List<AutoCloseable> toClose = new java.util.ArrayList<>();
        try {
            Tokenizer tok = open(model, toClose);
            int[] ids = tok.encode(text, true);
            // llama.cpp's default without tokenizer.ggml.add_bos_token: byte-level vocabularies other than Llama 3's
            // add no BOS
            assertThat(tok.addsBos()).isEqualTo(!model.equals("gpt2:qwen2"));
            if (tok.addsBos()) {
                assertThat(ids[0]).isEqualTo(tok.bosId());
            }
            // real compression (README: alice is ~82k tok512 tokens / ~60k 656k tokens for 151k characters)
            if (!model.startsWith("gpt2:")) { // the hand-made vocabulary has only 13 merges
                assertThat(ids.length).isLessThan(text.length() * 6 / 10);
            }
            // The 656k vocabulary has byte_fallback but no <0xXX> tokens, so characters outside it (curly quotes,
            // accents) become <unk> and are lost, as in HF tokenizers; they must be rare, and everything else exact.
            String expected = representable((BpeTokenizer) tok, text);
            assertThat(text.length() - expected.length()).isLessThan(text.length() / 20); // alice: 2.3% curly quotes
            if (!model.contains("656k")) {
                assertThat(expected).isEqualTo(text); // byte fallback: every character survives
            }
            assertThat(tok.decode(ids)).isEqualTo(expected);
            // streaming decode of the same ids yields the same text
            StreamingDecoder stream = tok.streamingDecoder();
            StringBuilder sb = new StringBuilder();
            for (int id : ids) {
                sb.append(stream.next(id));
            }
            sb.append(stream.flush());
            assertThat(sb.toString()).isEqualTo(expected);
        } finally {
            for (AutoCloseable c : toClose) {
                c.close();
            }
        }
    }

    private static String representable(BpeTokenizer tok, String text) {
        StringBuilder sb = new StringBuilder(text.length());
        text.codePoints().filter(tok::canEncode).forEach(sb::appendCodePoint);
        return sb.toString();
    }
}

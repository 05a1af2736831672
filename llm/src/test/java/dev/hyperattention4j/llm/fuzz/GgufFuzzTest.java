package dev.hyperattention4j.llm.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.hyperattention4j.llm.format.gguf.GgufFile;
import dev.hyperattention4j.llm.format.gguf.GgufFormatException;
import dev.hyperattention4j.llm.format.gguf.GgufLoader;
import dev.hyperattention4j.llm.format.gguf.GgufValueType;
import dev.hyperattention4j.llm.model.LoadedModel;
import dev.hyperattention4j.llm.model.ModelFormatException;
import dev.hyperattention4j.llm.model.NonFiniteWeightException;
import dev.hyperattention4j.llm.testing.GgufWriter;
import dev.hyperattention4j.llm.tokenizer.BpeTokenizer;
import dev.hyperattention4j.llm.tokenizer.GgufTokenizers;
import dev.hyperattention4j.llm.tokenizer.TokenizerFormatException;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Fuzzes GGUF: the container (header, typed metadata, tensor infos, alignment), the whole loader, and the embedded
 * tokenizer's builder on its own (vocabulary, scores, token types, merges, pre-tokenizer name, special ids).
 */
class GgufFuzzTest {
    private static final Path FILE = Path.of("fuzz.gguf");

    @FuzzTest(maxDuration = "2m")
    void container(byte[] data) {
        FuzzSupport.parseContainer(data, segment -> {
            GgufFile parsed = GgufFile.parse(FILE, segment);
            assertThat(parsed.version()).isBetween(2, 3);
            return parsed.tensors().values();
        }, GgufFormatException.class);
    }

    /** Metadata to model configuration, tensor binding and the embedded tokenizer. */
    @FuzzTest(maxDuration = "2m")
    void model(byte[] data) {
        FuzzSupport.bounded(() -> modelOnce(data));
    }

    private static void modelOnce(byte[] data) throws IOException {
        Path file = FuzzSupport.write("gguf/model.gguf", data);
        try (LoadedModel m = GgufLoader.open(file)) {
            assertThat(m.tokenizer().vocabSize()).isBetween(1, m.config().vocabSize());
            FuzzSupport.touch(m.tensors());
            FuzzSupport.exercise(m.tokenizer(), "Once upon a time, ab \u00e9\ud83d\ude00\n");
        } catch (TokenizerFormatException e) {
            FuzzSupport.checkFormatError(e, TokenizerFormatException.class, data.length);
        } catch (NonFiniteWeightException e) {   // quantised blocks' scales are checked at open (docs/RELIABILITY.md)
            FuzzSupport.checkFormatError(e, NonFiniteWeightException.class, data.length);
        } catch (ModelFormatException e) {
            FuzzSupport.checkFormatError(e, GgufFormatException.class, data.length);
        }
    }

    /**
     * A well-formed GGUF holding only {@code tokenizer.ggml.*} keys whose values are arbitrary: pieces of any
     * length and content (the builder refuses pieces over its limit), scores, types, merge lines and special ids, so
     * the fuzzer explores the tokenizer builder instead of the container's checks. Building and using it is bounded
     * in time; the only failures allowed are the format's errors.
     */
    @FuzzTest(maxDuration = "2m")
    void tokenizer(FuzzedDataProvider data) {
        boolean gpt2 = data.consumeBoolean();
        int n = data.consumeInt(1, 48);
        List<String> tokens = new ArrayList<>(n);
        List<Float> scores = new ArrayList<>(n);
        List<Integer> types = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            tokens.add(data.consumeString(data.consumeBoolean() ? 8 : 1200));
            scores.add(data.consumeFloat());
            types.add(data.consumeInt(0, 7));
        }
        List<String> merges = new ArrayList<>();
        for (int i = data.consumeInt(0, 24); i > 0; i--) {
            merges.add(data.consumeString(24));
        }
        GgufWriter w = new GgufWriter().putString("tokenizer.ggml.model", gpt2 ? "gpt2" : "llama")
                .putArray("tokenizer.ggml.tokens", GgufValueType.STRING, tokens);
        if (data.consumeBoolean()) {
            w.putArray("tokenizer.ggml.scores", GgufValueType.FLOAT32, scores);
        }
        if (data.consumeBoolean()) {
            w.putArray("tokenizer.ggml.token_type", GgufValueType.INT32, types);
        }
        if (gpt2 || data.consumeBoolean()) {
            w.putArray("tokenizer.ggml.merges", GgufValueType.STRING, merges);
        }
        w.putString("tokenizer.ggml.pre", data.pickValue(new String[] {"default", "llama-bpe", "qwen2", "smollm",
                "bogus"}));
        for (String id : new String[] {"bos", "eos", "unknown", "eot"}) {
            if (data.consumeBoolean()) {
                w.putInt32("tokenizer.ggml." + id + "_token_id", data.consumeInt(-2, n + 1));
            }
        }
        w.putBool("tokenizer.ggml.add_space_prefix", data.consumeBoolean());
        String text = data.consumeRemainingAsString();
        byte[] file = w.toBytes();
        FuzzSupport.bounded(() -> {
            BpeTokenizer tok;
            try {
                tok = GgufTokenizers.build(FILE, GgufFile.parse(FILE, MemorySegment.ofArray(file)).metadata());
            } catch (TokenizerFormatException e) {
                FuzzSupport.checkFormatError(e, TokenizerFormatException.class, file.length);
                return;
            } catch (GgufFormatException e) {
                FuzzSupport.checkFormatError(e, GgufFormatException.class, file.length);
                return;
            }
            assertThat(tok.vocabSize()).isEqualTo(n);
            FuzzSupport.exercise(tok, text);
        });
    }
}

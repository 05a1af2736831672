package dev.hyperattention4j.llm.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hyperattention4j.attention.FlashAttention;
import dev.hyperattention4j.llm.model.DType;
import dev.hyperattention4j.llm.model.Model;
import dev.hyperattention4j.llm.model.ModelLoader;
import dev.hyperattention4j.llm.testing.GgufConverter;
import dev.hyperattention4j.llm.testing.SharedData;
import dev.hyperattention4j.llm.testing.TestPools;
import dev.hyperattention4j.runtime.WorkerPool;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.assertj.core.data.Percentage;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The shared models converted to GGUF by the test converter (llama.cpp's layout: interleaved RoPE with permuted
 * Q/K rows, the vocabulary as tokenizer.ggml.*) give the golden last-position results and the same per-story
 * perplexity as the original files: F32 and F16 at the golden tolerance, Q8_0 and Q4_0 (dequantised inside the
 * kernels) within looser bounds that reflect their quantisation error.
 */
class GgufGoldenTest {
    static final WorkerPool pool = TestPools.twoThreads();

    record Measure(int argmax, float maxLogit, double ppl, long tokens) {
    }

    static Measure measure(Model m, String prompt, String text) {
        LlamaSession s = LlamaModel.of(m).newSession(512, AttentionPlan.exact(new FlashAttention(pool)), pool);
        float[] logits = s.forwardLast(m.tokenizer().encode(prompt, true));
        int arg = Sampler.argmax(logits, m.config().vocabSize());
        float max = logits[arg];
        List<int[]> stories = Stories.encode(text, m.tokenizer(), 512);
        Perplexity.Result r = Perplexity.sequences(s, stories, "", null);
        return new Measure(arg, max, r.perplexity(), r.tokensScored());
    }

    @ParameterizedTest(name = "{0} as GGUF {2}")
    @CsvSource(delimiter = '|', value = {
            "stories260K|Zoo|F32|0.1|0.1|true",
            "stories260K|Zoo|Q8_0|1|0.5|true",
            "stories260K|Zoo|Q4_0|10|15|true",
            "tinystories-656k|Once upon a time|F32|0.1|0.1|true",
            "tinystories-656k|Once upon a time|F16|0.5|0.5|true",
            "tinystories-656k|Once upon a time|Q8_0|1|0.5|true",
            "tinystories-656k|Once upon a time|Q4_0|10|15|true"})
    void ggufCopyMatchesOriginal(String name, String prompt, DType type, double logitPct, double pplPct,
                                 boolean sameArgmax, @TempDir Path tmp) throws Exception {
        String text = Files.readString(SharedData.require("texts/tinystories_sample.txt"));
        Path source = name.equals("stories260K") ? SharedData.stories260k() : SharedData.tinystories656k();
        Measure original, converted;
        try (Model m = ModelLoader.open(source)) {
            original = measure(m, prompt, text);
            GgufConverter.convert(m, type, tmp.resolve("m.gguf"));
        }
        try (Model g = ModelLoader.open(tmp.resolve("m.gguf"))) {
            assertThat(g.config().format()).isEqualTo("gguf");
            converted = measure(g, prompt, text);
        }
        if (sameArgmax) {
            assertThat(converted.argmax()).isEqualTo(original.argmax());
        }
        assertThat(converted.maxLogit()).isCloseTo(original.maxLogit(), Percentage.withPercentage(logitPct));
        assertThat(converted.tokens()).isEqualTo(original.tokens());
        assertThat(converted.ppl()).isCloseTo(original.ppl(), Percentage.withPercentage(pplPct));
    }
}

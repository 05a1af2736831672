package dev.hyperattention4j.llm.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hyperattention4j.attention.FlashAttention;
import dev.hyperattention4j.llm.format.gguf.GgmlType;
import dev.hyperattention4j.llm.model.Model;
import dev.hyperattention4j.llm.model.ModelLoader;
import dev.hyperattention4j.llm.model.WeightTensor;
import dev.hyperattention4j.llm.testing.Npy;
import dev.hyperattention4j.llm.testing.SharedData;
import dev.hyperattention4j.llm.testing.TestPools;
import dev.hyperattention4j.runtime.WorkerPool;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The {@code goldens/llama-kq} oracle: an F32 Llama file and 12 files of the reference quantiser's presets, with
 * the reference runtime's logits, greedy ids and perplexities. Each file must load (a file the runtime cannot run
 * fails here, it is not skipped), hold the tensor types {@code tensors.json} lists, and reproduce the goldens
 * within the tolerances of the goldens' README:
 * <ul>
 *   <li>F32: max abs logit difference ≤ 1e-4, greedy ids equal, perplexity within 0.01 %;</li>
 *   <li>quantised: mean abs difference ≤ max(0.02, 0.15 × mean |golden_q − golden_F32|) over the stored rows
 *       0..31, max abs ≤ 0.3 (the reference quantises activations to 8 bits inside its products, we keep them
 *       float, hence the slack); greedy ids equal up to the first step whose golden top-1/top-2 margin is ≤ 0.05;
 *       perplexity within 1 %.</li>
 * </ul>
 * A wrong block layout moves logits by the size of the quantisation itself, far outside these bounds.
 */
class GgufQuantGoldenTest {
    private static final String CASE = "goldens/llama-kq";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final WorkerPool pool = TestPools.twoThreads();

    /** What one file gives against its goldens (also printed, for the record). */
    record Outcome(String type, double meanAbs, double maxAbs, double meanAllowed, int greedyChecked,
                   double ppl, double goldenPpl) {
        double pplPercent() { return 100 * Math.abs(ppl - goldenPpl) / goldenPpl; }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"F32", "Q2_K", "Q3_K_S", "Q3_K_M", "Q4_0", "Q4_1", "Q4_K_S", "Q4_K_M", "Q5_0", "Q5_1",
            "Q5_K_M", "Q6_K", "Q8_0"})
    void fileMatchesItsGoldens(String type) throws IOException {
        Path dir = SharedData.require(CASE);
        Outcome o = run(dir, type);
        System.out.printf("golden llama-kq %-7s logits mean|d| %.2e (allowed %.4f) max|d| %.2e, greedy %d ids,"
                + " ppl %.4f vs %.4f (%.3f %%)%n", o.type(), o.meanAbs(), o.meanAllowed(), o.maxAbs(),
                o.greedyChecked(), o.ppl(), o.goldenPpl(), o.pplPercent());
        boolean f32 = type.equals("F32");
        if (f32) {
            assertThat(o.maxAbs()).as("F32 max abs logit difference").isLessThanOrEqualTo(1e-4);
            assertThat(o.pplPercent()).as("F32 perplexity difference in %").isLessThanOrEqualTo(0.01);
        } else {
            assertThat(o.meanAbs()).as("%s mean abs logit difference", type).isLessThanOrEqualTo(o.meanAllowed());
            assertThat(o.maxAbs()).as("%s max abs logit difference", type).isLessThanOrEqualTo(0.3);
            assertThat(o.pplPercent()).as("%s perplexity difference in %%", type).isLessThanOrEqualTo(1.0);
        }
    }

    /** Our tokenizer reproduces the reference's ids of text.txt, BOS first as the vocabulary asks. */
    @Test
    void tokensMatchTheReferenceTokenizer() throws IOException {
        Path dir = SharedData.require(CASE);
        JsonNode tokens = JSON.readTree(dir.resolve("tokens.json").toFile());
        int[] expected = ints(tokens.get("tokens"));
        try (Model m = ModelLoader.open(dir.resolve("model-F32.gguf"))) {
            assertThat(tokens.get("add_bos").asBoolean()).isTrue();
            assertThat(m.config().bosId()).isEqualTo(tokens.get("bos").asInt());
            int[] ours = m.tokenizer().encode(Files.readString(dir.resolve("text.txt")), true);
            assertThat(ours).isEqualTo(expected);
        }
    }

    static Outcome run(Path dir, String type) throws IOException {
        JsonNode tokensJson = JSON.readTree(dir.resolve("tokens.json").toFile());
        int[] tokens = ints(tokensJson.get("tokens"));
        Npy.Matrix golden = Npy.read(dir.resolve("logits-" + type + ".npy"));
        Npy.Matrix goldenF32 = Npy.read(dir.resolve("logits-F32.npy"));
        JsonNode greedy = JSON.readTree(dir.resolve("greedy-" + type + ".json").toFile());
        double goldenPpl = JSON.readTree(dir.resolve("ppl.json").toFile()).get("results").get(type).get("c128x4")
                .get("ppl").asDouble();
        JsonNode listed = JSON.readTree(dir.resolve("tensors.json").toFile()).get("model-" + type + ".gguf")
                .get("tensors");
        try (Model m = ModelLoader.open(dir.resolve("model-" + type + ".gguf"))) {
            Map<String, WeightTensor> byName = m.tensors().stream()
                    .collect(Collectors.toMap(WeightTensor::name, t -> t));
            assertThat(byName.keySet()).containsExactlyInAnyOrderElementsOf(() -> listed.fieldNames());
            listed.properties().forEach(e -> {
                WeightTensor t = byName.get(e.getKey());
                assertThat(GgmlType.of(t.type())).as(e.getKey()).isEqualTo(e.getValue().get("ggml_type_id").asInt());
                assertThat(t.data().byteSize()).as(e.getKey()).isEqualTo(e.getValue().get("n_bytes").asLong());
            });
            LlamaModel model = LlamaModel.of(m);
            int vocab = m.config().vocabSize();
            int prompt = greedy.get("prompt_tokens").asInt();
            int steps = greedy.get("steps").asInt();
            LlamaSession s = model.newSession(prompt + steps, AttentionPlan.exact(new FlashAttention(pool)), pool);
            int stride = s.logitStride();
            float[] logits = new float[prompt * stride];
            s.forward(tokens, 0, prompt, logits, 0);
            double sum = 0, max = 0, sumRef = 0;
            for (int r = 0; r < golden.rows(); r++) {
                for (int c = 0; c < vocab; c++) {
                    double d = Math.abs(logits[r * stride + c] - golden.at(r, c));
                    sum += d;
                    max = Math.max(max, d);
                    sumRef += Math.abs(golden.at(r, c) - goldenF32.at(r, c));
                }
            }
            long n = (long) golden.rows() * vocab;
            double meanAllowed = Math.max(0.02, 0.15 * sumRef / n);
            // greedy continuation: compare up to (not including) the first near-tie of the reference
            int next = Sampler.argmax(java.util.Arrays.copyOfRange(logits, (prompt - 1) * stride,
                    (prompt - 1) * stride + vocab), vocab);
            int checked = 0;
            for (int step = 0; step < steps; step++) {
                if (greedy.get("top1_minus_top2").get(step).asDouble() <= 0.05) {
                    break;
                }
                assertThat(next).as("%s greedy step %d", type, step).isEqualTo(greedy.get("ids").get(step).asInt());
                checked++;
                next = Sampler.argmax(s.decode(next), vocab);
            }
            LlamaSession window = model.newSession(128, AttentionPlan.exact(new FlashAttention(pool)), pool);
            Perplexity.Result ppl = Perplexity.windows(window, tokens, 128, m.config().bosId(), 4, null);
            assertThat(ppl.tokensScored()).isEqualTo(4 * 63);
            return new Outcome(type, sum / n, max, meanAllowed, checked, ppl.perplexity(), goldenPpl);
        }
    }

    private static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asInt();
        }
        return out;
    }
}

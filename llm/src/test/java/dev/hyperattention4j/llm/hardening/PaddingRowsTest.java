package dev.hyperattention4j.llm.hardening;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hyperattention4j.llm.model.DType;
import dev.hyperattention4j.llm.model.Model;
import dev.hyperattention4j.llm.model.ModelLoader;
import dev.hyperattention4j.llm.model.WeightNames;
import dev.hyperattention4j.llm.runtime.AttentionPlan;
import dev.hyperattention4j.llm.runtime.Generator;
import dev.hyperattention4j.llm.runtime.LlamaModel;
import dev.hyperattention4j.llm.runtime.LlamaSession;
import dev.hyperattention4j.llm.runtime.RowwiseAttention;
import dev.hyperattention4j.llm.runtime.Sampler;
import dev.hyperattention4j.llm.runtime.SamplingParams;
import dev.hyperattention4j.llm.testing.SafetensorsWriter;
import dev.hyperattention4j.llm.testing.TinyModels;
import dev.hyperattention4j.runtime.WorkerPool;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Embedding rows past the tokenizer's vocabulary are padding (Qwen2 pads 151,665 tokens to 151,936 rows) and are
 * never sampled (issue #25: such a model used to fail mid-generation with "token id 402 is outside the
 * vocabulary"). The tiny model here has 2·dim padding rows ±10⁴·e_j in its output matrix, so whatever the hidden
 * state, some padding row has by far the largest logit: a sampler that looked at them would pick one at every
 * step, greedy or random.
 */
class PaddingRowsTest {
    private static final int PAD = 2 * TinyModels.DIM;
    private static final int ROWS = TinyModels.VOCAB + PAD;

    static List<SamplingParams> samplings() {
        return List.of(SamplingParams.greedy(), SamplingParams.defaults(7),
                new SamplingParams(SamplingParams.MAX_TEMPERATURE, 0, 1f, 0f, 1f, 64, 0f, 0f, 11));
    }

    @ParameterizedTest
    @MethodSource("samplings")
    void paddingRowsAreNeverSampled(SamplingParams sampling, @TempDir Path dir) throws Exception {
        try (Model m = ModelLoader.open(paddedModel(dir), null); WorkerPool pool = new WorkerPool(1)) {
            assertThat(m.config().vocabSize()).isEqualTo(ROWS);
            assertThat(m.tokenizer().vocabSize()).isEqualTo(TinyModels.VOCAB);
            LlamaSession s = LlamaModel.of(m).newSession(64, AttentionPlan.exact(new RowwiseAttention(pool)), pool);
            int[] prompt = m.tokenizer().encode("a a a", true);
            // without the restriction the model's choice is a padding row
            float[] logits = s.forwardLast(prompt);
            assertThat(Sampler.argmax(logits, ROWS)).isGreaterThanOrEqualTo(TinyModels.VOCAB);

            Generator.Result r = Generator.generate(s, m.tokenizer(), prompt, 40, new Sampler(sampling),
                    List.of(), null);
            assertThat(r.newTokens()).as(r.stopReason()).isNotEmpty();
            assertThat(java.util.Arrays.stream(r.newTokens()).max().getAsInt()).isLessThan(TinyModels.VOCAB);
            assertThat(r.text()).isEqualTo(m.tokenizer().decode(r.newTokens()));
        }
    }

    /** The tiny safetensors llama with {@link #ROWS} embedding and output rows but a 262-token tokenizer. */
    private static Path paddedModel(Path dir) throws Exception {
        Path d = TinyModels.safetensors(dir.resolve("padded"), "llama", DType.F32, false, 1);
        new ObjectMapper().writeValue(d.resolve("config.json").toFile(),
                TinyModels.config("llama", false).put("vocab_size", ROWS).put("eos_token_id", 0));
        SafetensorsWriter w = new SafetensorsWriter();
        WeightNames names = WeightNames.HUGGING_FACE;
        for (Object[] t : TinyModels.tensorShapes(names, false, false)) {
            String name = (String) t[0];
            long[] shape = (long[]) t[1];
            if (name.equals(names.tokenEmbedding()) || name.equals(names.output())) {
                shape = new long[] {ROWS, TinyModels.DIM};
            }
            float[] v = TinyModels.values(name, shape);
            if (name.equals(names.output())) {
                for (int p = 0; p < PAD; p++) {
                    float[] row = new float[TinyModels.DIM];
                    row[p / 2] = p % 2 == 0 ? 1e4f : -1e4f;
                    System.arraycopy(row, 0, v, (TinyModels.VOCAB + p) * TinyModels.DIM, TinyModels.DIM);
                }
            }
            w.add(name, DType.F32, shape, v);
        }
        Files.delete(d.resolve("model.safetensors"));
        w.write(d.resolve("model.safetensors"));
        return d;
    }
}

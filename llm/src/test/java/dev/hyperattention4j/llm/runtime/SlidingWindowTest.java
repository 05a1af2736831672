package dev.hyperattention4j.llm.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hyperattention4j.attention.FlashAttention;
import dev.hyperattention4j.attention.hyper.HyperAttention;
import dev.hyperattention4j.attention.hyper.HyperConfig;
import dev.hyperattention4j.llm.model.BlockLayout;
import dev.hyperattention4j.llm.model.DType;
import dev.hyperattention4j.llm.model.ModelConfig;
import dev.hyperattention4j.llm.model.RopeScaling;
import dev.hyperattention4j.llm.model.RopeStyle;
import dev.hyperattention4j.runtime.WorkerPool;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/**
 * A model with a sliding window (each query sees itself and the window − 1 keys before it) against the float64
 * oracle with the same window mask: a multi-tile prefill, single-token decode steps past the window, on one and on
 * two threads, with the scalar and the vector kernels. HyperAttention cannot keep its blocks and samples inside a
 * window, so a patched plan on a windowed model is refused with a message, as is switching to one later.
 */
class SlidingWindowTest {
    private static final int WINDOW = 12, VOCAB = 61;

    private static SyntheticModel model(int window) {
        ModelConfig c = new ModelConfig("synthetic", "mistral", 32, 48, 2, 4, 2, 8, VOCAB, 512, 1e-5f, 10000f,
                RopeStyle.ROTATE_HALF, false, false, 1, 2, BlockLayout.LLAMA, 8, RopeScaling.NONE, window);
        return new SyntheticModel(c, 11, DType.F32, false);
    }

    @ParameterizedTest(name = "threads {0}, vector kernels {1}")
    @CsvSource({"1, false", "2, false", "1, true", "2, true"})
    void prefillAndDecodeMatchTheWindowedOracle(int threads, boolean vector) {
        if (vector) {
            LlamaModel.awaitKernelWarmup();
        }
        SyntheticModel m = model(WINDOW);
        int prompt = 45, steps = 6;
        int[] tokens = new Random(5).ints(prompt + steps, 0, VOCAB).toArray();
        double[][] expected = ReferenceLlama.logits(m, tokens, WINDOW);
        double[][] full = ReferenceLlama.logits(m, tokens, 0);
        try (WorkerPool pool = new WorkerPool(threads)) {
            LlamaSession s = LlamaModel.of(m.config, m).newSession(64, AttentionPlan.exact(new FlashAttention(pool)),
                    pool);
            float[] logits = new float[prompt * s.logitStride()];
            s.forward(tokens, 0, prompt, logits, 0);
            for (int t = 0; t < prompt; t++) {
                for (int v = 0; v < VOCAB; v++) {
                    assertThat((double) logits[t * s.logitStride() + v]).as("prefill row %d", t)
                            .isCloseTo(expected[t][v], org.assertj.core.data.Offset.offset(2e-4));
                }
            }
            for (int i = 0; i < steps; i++) {
                float[] d = s.decode(tokens[prompt + i]);
                for (int v = 0; v < VOCAB; v++) {
                    assertThat((double) d[v]).as("decode step %d", i)
                            .isCloseTo(expected[prompt + i][v], org.assertj.core.data.Offset.offset(2e-4));
                }
            }
            // the window changes the result past it: the oracle without it is far away
            double gap = 0;
            for (int v = 0; v < VOCAB; v++) {
                gap = Math.max(gap, Math.abs(full[prompt - 1][v] - expected[prompt - 1][v]));
            }
            assertThat(gap).isGreaterThan(1e-2);
        }
    }

    @Test
    void hyperAttentionWithAWindowIsRefused() {
        SyntheticModel m = model(WINDOW);
        try (WorkerPool pool = new WorkerPool(1)) {
            LlamaModel lm = LlamaModel.of(m.config, m);
            AttentionPlan hyper = AttentionPlan.patchLast(new FlashAttention(pool), 1, 2,
                    l -> new HyperAttention(HyperConfig.defaults().withLayer(l), pool));
            assertThatThrownBy(() -> lm.newSession(64, hyper, pool)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContainingAll("sliding window of 12", "does not support a window", "at most 12 tokens");
            LlamaSession exact = lm.newSession(64, AttentionPlan.exact(new FlashAttention(pool)), pool);
            assertThatThrownBy(() -> exact.usePlan(hyper)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("sliding window of 12");
            // a context within the window: the window cannot matter, HyperAttention is allowed
            assertThat(lm.newSession(WINDOW, hyper, pool).capacity()).isEqualTo(WINDOW);
        }
    }
}

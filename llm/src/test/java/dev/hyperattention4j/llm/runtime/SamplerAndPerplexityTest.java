package dev.hyperattention4j.llm.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hyperattention4j.attention.FlashAttention;
import dev.hyperattention4j.llm.model.DType;
import dev.hyperattention4j.llm.model.ModelConfig;
import dev.hyperattention4j.llm.model.RopeStyle;
import dev.hyperattention4j.runtime.WorkerPool;
import java.util.Random;
import org.junit.jupiter.api.Test;

class SamplerAndPerplexityTest {

    static float[] logits(int n, long seed) {
        Random r = new Random(seed);
        float[] l = new float[n];
        for (int i = 0; i < n; i++) {
            l[i] = (float) (3 * r.nextGaussian());
        }
        return l;
    }

    @Test
    void nllMatchesFloat64() {
        float[] l = logits(2049, 4);
        double max = Double.NEGATIVE_INFINITY, sum = 0;
        for (float v : l) {
            max = Math.max(max, v);
        }
        for (float v : l) {
            sum += Math.exp(v - max);
        }
        for (int target : new int[] {0, 17, 2048}) {
            assertThat(Perplexity.nll(l, 0, l.length, target)).isCloseTo(max + Math.log(sum) - l[target],
                    org.assertj.core.data.Offset.offset(1e-5));
        }
    }

    /**
     * llama.cpp's protocol: whole windows only, BOS in front of each, the second half scored, each window from an
     * empty cache, so the result equals scoring each window as a separate sequence restricted to its second half.
     */
    @Test
    void windowsProtocol() {
        ModelConfig c = SyntheticModel.config(64, 96, 2, 4, 2, 50, RopeStyle.ROTATE_HALF, true);
        LlamaModel model = LlamaModel.of(c, new SyntheticModel(c, 8, DType.F32, false));
        int[] tokens = LlamaSessionTest.tokens(3 * 40 + 7, 50, 9);
        try (WorkerPool pool = new WorkerPool(2)) {
            LlamaSession s = model.newSession(40, AttentionPlan.exact(new FlashAttention(pool)), pool);
            Perplexity.Result r = Perplexity.windows(s, tokens, 40, 1, 0, null);
            assertThat(r.tokensScored()).isEqualTo(3 * (40 - 1 - 20));
            assertThat(r.tokensProcessed()).isEqualTo(120);
            assertThat(r.protocol()).contains("windows of 40 tokens", "second half");
            double sum = 0;
            float[] logits = new float[40 * s.logitStride()];
            for (int w = 0; w < 3; w++) {
                int[] win = java.util.Arrays.copyOfRange(tokens, 40 * w, 40 * w + 40);
                win[0] = 1;
                s.reset();
                s.forward(win, 0, 40, logits, 0);
                for (int j = 20; j < 39; j++) {
                    sum += Perplexity.nll(logits, j * s.logitStride(), 50, win[j + 1]);
                }
            }
            assertThat(r.perplexity()).isCloseTo(Math.exp(sum / r.tokensScored()),
                    org.assertj.core.data.Percentage.withPercentage(1e-4));
            assertThat(r.standardError()).isPositive().isFinite();
        }
    }
}

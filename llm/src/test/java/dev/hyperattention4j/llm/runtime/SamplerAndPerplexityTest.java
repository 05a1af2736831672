package dev.hyperattention4j.llm.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hyperattention4j.attention.FlashAttention;
import dev.hyperattention4j.llm.model.DType;
import dev.hyperattention4j.llm.model.ModelConfig;
import dev.hyperattention4j.llm.model.RopeStyle;
import dev.hyperattention4j.runtime.WorkerPool;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;
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
    void greedyAndTopOneAreTheArgmax() {
        float[] l = logits(500, 1);
        int arg = Sampler.argmax(l, l.length);
        for (int i = 0; i < l.length; i++) {
            assertThat(l[i]).isLessThanOrEqualTo(l[arg]);
        }
        assertThat(new Sampler(Sampler.Settings.greedy()).sample(l, l.length)).isEqualTo(arg);
        Sampler topOne = new Sampler(new Sampler.Settings(1.5f, 1, 1f, 3));
        for (int i = 0; i < 20; i++) {
            assertThat(topOne.sample(l, l.length)).isEqualTo(arg);
        }
    }

    /** Top-k and top-p restrict the draws to the k most likely tokens / the smallest nucleus reaching p. */
    @Test
    void topKAndTopPRestrictTheCandidates() {
        float[] l = logits(300, 2);
        Integer[] order = new Integer[l.length];
        for (int i = 0; i < l.length; i++) {
            order[i] = i;
        }
        java.util.Arrays.sort(order, (a, b) -> Float.compare(l[b], l[a]));
        Set<Integer> top5 = Set.of(order[0], order[1], order[2], order[3], order[4]);
        Sampler k = new Sampler(new Sampler.Settings(1f, 5, 1f, 4));
        Set<Integer> seen = new HashSet<>();
        for (int i = 0; i < 2000; i++) {
            seen.add(k.sample(l, l.length));
        }
        assertThat(top5).containsAll(seen);
        assertThat(seen.size()).isGreaterThan(1);
        // nucleus: softmax mass of the sorted prefix
        double[] p = new double[l.length];
        double z = 0;
        for (int i = 0; i < l.length; i++) {
            z += p[i] = Math.exp(l[i]);
        }
        double mass = 0;
        Set<Integer> nucleus = new HashSet<>();
        for (Integer t : order) {
            nucleus.add(t);
            mass += p[t] / z;
            if (mass >= 0.5) {
                break;
            }
        }
        Sampler topP = new Sampler(new Sampler.Settings(1f, 0, 0.5f, 5));
        for (int i = 0; i < 2000; i++) {
            assertThat(nucleus).contains(topP.sample(l, l.length));
        }
    }

    @Test
    void sameSeedSameDraws() {
        float[] l = logits(100, 3);
        Sampler a = new Sampler(new Sampler.Settings(0.9f, 40, 0.95f, 11));
        Sampler b = new Sampler(new Sampler.Settings(0.9f, 40, 0.95f, 11));
        for (int i = 0; i < 200; i++) {
            assertThat(a.sample(l, l.length)).isEqualTo(b.sample(l, l.length));
        }
        assertThatThrownBy(() -> new Sampler.Settings(-1f, 0, 1f, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Sampler.Settings(1f, 0, 0f, 0)).isInstanceOf(IllegalArgumentException.class);
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

package dev.hyperattention4j.llm.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hyperattention4j.attention.FlashAttention;
import dev.hyperattention4j.llm.model.Model;
import dev.hyperattention4j.llm.model.ModelLoader;
import dev.hyperattention4j.llm.testing.Goldens;
import dev.hyperattention4j.llm.testing.TestPools;
import dev.hyperattention4j.runtime.WorkerPool;
import java.util.Arrays;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The architecture and RoPE-scaling goldens of {@code ../shared/goldens/} (phi2, qwen2, chatglm, rope-linear,
 * rope-yarn, rope-llama3): the reference runtime's logits over the prompt, its greedy continuation and its
 * perplexities, within the tolerances of the goldens' README. Every file is a synthetic random-weight model, so the
 * numbers (flat logits, perplexity near the vocabulary size) are an oracle for the arithmetic, not for quality.
 */
class ArchitectureGoldenTest {
    static final WorkerPool pool = TestPools.twoThreads();

    /** Positions whose logits the folder stores, in file order. */
    static int[] storedRows(String folder, String type, int storedCount) {
        if (folder.startsWith("rope-")) { // positions 0-15 and 1984-2047 of a 2048-token pass
            int[] rows = new int[80];
            for (int i = 0; i < 16; i++) {
                rows[i] = i;
            }
            for (int i = 0; i < 64; i++) {
                rows[16 + i] = 1984 + i;
            }
            return rows;
        }
        int[] rows = new int[type.equals("F32") ? 256 : 32];
        Arrays.setAll(rows, i -> i);
        assertThat(rows).hasSize(storedCount);
        return rows;
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({
            "qwen2, F32, 1e-4, 0, 0.0001",
            "chatglm, F32, 1e-4, 0, 0.0001",
            "phi2, F32, 3e-3, 0.01, 0.001",
            "phi2, Q8_0, 0.3, 0.05, 0.01",
            "phi2, Q4_K_M, 0.3, 0.05, 0.01",
            "qwen2, Q4_K_M, 0.3, 0.05, 0.01",
            "chatglm, Q4_K_M, 0.3, 0.05, 0.01",
            "rope-linear, F32, 1e-4, 0, 0.0001",
            "rope-yarn, F32, 1e-4, 0, 0.0001",
            "rope-llama3, F32, 1e-4, 0, 0.0001"})
    void matchesReferenceRuntime(String folder, String type, double maxAbs, double greedyMargin, double pplRel)
            throws Exception {
        Goldens g = Goldens.folder(folder);
        Goldens.Tokens tokens = g.tokens();
        dev.hyperattention4j.llm.testing.Npy.Matrix expected = g.logits(type);
        boolean quantized = !type.equals("F32");
        Goldens.Greedy greedy = g.greedy(type);
        int prompt = greedy.promptTokens();
        try (Model m = ModelLoader.open(g.model(type))) {
            int vocab = m.config().vocabSize();
            assertThat(expected.cols()).isEqualTo(vocab);
            assertThat(m.tokenizer().encode(g.text(), tokens.addBos())).as("tokens of text.txt")
                    .containsExactly(tokens.ids());
            LlamaSession s = LlamaModel.of(m).newSession(Math.max(prompt + greedy.ids().length, 256),
                    AttentionPlan.exact(new FlashAttention(pool)), pool);
            int stride = s.logitStride();
            float[] logits = new float[prompt * stride];
            s.forward(tokens.ids(), 0, prompt, logits, 0);

            int[] rows = storedRows(folder, type, expected.rows());
            double max = 0, sum = 0;
            for (int r = 0; r < rows.length; r++) {
                for (int v = 0; v < vocab; v++) {
                    double d = Math.abs(logits[rows[r] * stride + v] - expected.at(r, v));
                    max = Math.max(max, d);
                    sum += d;
                }
            }
            double mean = sum / ((double) rows.length * vocab);
            System.out.printf("golden %s %s: logits max abs %.3g mean abs %.3g%n", folder, type, max, mean);
            assertThat(max).as("max abs logit difference").isLessThanOrEqualTo(maxAbs);
            if (quantized) {
                dev.hyperattention4j.llm.testing.Npy.Matrix f32 = g.logits("F32");
                double ref = 0;
                for (int r = 0; r < rows.length; r++) {
                    for (int v = 0; v < vocab; v++) {
                        ref += Math.abs(expected.at(r, v) - f32.at(rows[r], v));
                    }
                }
                ref /= (double) rows.length * vocab;
                System.out.printf("golden %s %s: mean abs allowed %.4f%n", folder, type, Math.max(0.02, 0.15 * ref));
                assertThat(mean).as("mean abs logit difference").isLessThanOrEqualTo(Math.max(0.02, 0.15 * ref));
            }

            // greedy: equal at every step, except that at a step whose reference margin is too small to decide a
            // correct runtime may pick the other token, after which the continuations are no longer comparable
            int next = Sampler.argmax(Arrays.copyOfRange(logits, (prompt - 1) * stride, prompt * stride), vocab);
            int checked = 0;
            for (int step = 0; step < greedy.ids().length; step++) {
                if (greedy.margins()[step] <= greedyMargin && next != greedy.ids()[step]) {
                    break;
                }
                assertThat(next).as("greedy id at step " + step).isEqualTo(greedy.ids()[step]);
                checked++;
                next = Sampler.argmax(s.decode(next), vocab);
            }
            System.out.printf("golden %s %s: greedy %d of %d ids compared and equal%n", folder, type, checked,
                    greedy.ids().length);

            int bos = tokens.addBos() ? tokens.bos() : -1;
            checkPpl(g, type, s, tokens.ids(), 128, 4, bos, pplRel, "c128x4");
            if (!Double.isNaN(g.ppl(type, "c2048x1"))) {
                LlamaSession big = LlamaModel.of(m).newSession(2048, AttentionPlan.exact(new FlashAttention(pool)),
                        pool);
                checkPpl(g, type, big, tokens.ids(), 2048, 1, bos, pplRel, "c2048x1");
            }
        }
    }

    /**
     * HyperAttention in the last layer of phi2, ChatGLM and a YaRN Qwen2 (as {@code --patch-last 1}): with one block
     * holding every key nothing is sampled, so the logits stay at the reference's within float rounding; with real
     * settings on the 2048-token text (rope-yarn) the perplexity moves, boundedly.
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource({"phi2, 3e-3", "chatglm, 1e-3", "rope-yarn, 1e-3"})
    void hyperAttentionInTheLastLayer(String folder, double maxAbs) throws Exception {
        Goldens g = Goldens.folder(folder);
        dev.hyperattention4j.llm.testing.Npy.Matrix expected = g.logits("F32");
        int[] tokens = g.tokens().ids();
        int n = folder.startsWith("rope-") ? 2048 : 256;
        try (Model m = ModelLoader.open(g.model("F32"))) {
            LlamaModel model = LlamaModel.of(m);
            int layers = m.config().layers();
            dev.hyperattention4j.attention.hyper.HyperConfig whole = dev.hyperattention4j.attention.hyper.HyperConfig
                    .defaults().withBlockSize(n).withSampleSize(64).withMinSeqLen(16);
            LlamaSession s = model.newSession(n, lastLayerHyper(layers, whole), pool);
            assertThat(s.plan().patchLast()).isEqualTo(1);
            float[] logits = new float[n * s.logitStride()];
            s.forward(tokens, 0, n, logits, 0);
            int[] rows = storedRows(folder, "F32", expected.rows());
            double max = 0;
            for (int r = 0; r < rows.length; r++) {
                for (int v = 0; v < m.config().vocabSize(); v++) {
                    max = Math.max(max, Math.abs(logits[rows[r] * s.logitStride() + v] - expected.at(r, v)));
                }
            }
            System.out.printf("golden %s, HyperAttention (one block) in the last layer: logits max abs %.3g%n",
                    folder, max);
            assertThat(max).isLessThanOrEqualTo(maxAbs);
            if (n == 2048) {
                dev.hyperattention4j.attention.hyper.HyperConfig real = dev.hyperattention4j.attention.hyper
                        .HyperConfig.defaults().withBlockSize(128).withSampleSize(128).withMinSeqLen(512);
                LlamaSession exact = model.newSession(n, AttentionPlan.exact(new FlashAttention(pool)), pool);
                LlamaSession patched = model.newSession(n, lastLayerHyper(layers, real), pool);
                double a = Perplexity.windows(exact, tokens, n, -1, 1, null).perplexity();
                double b = Perplexity.windows(patched, tokens, n, -1, 1, null).perplexity();
                System.out.printf("golden %s c2048x1: exact %.4f, HyperAttention in the last layer %.4f (%+.2f%%)%n",
                        folder, a, b, 100 * (b / a - 1));
                assertThat(b).isNotEqualTo(a);
                assertThat(Math.abs(b / a - 1)).isLessThan(0.5);
            }
        }
    }

    private static AttentionPlan lastLayerHyper(int layers, dev.hyperattention4j.attention.hyper.HyperConfig c) {
        return AttentionPlan.patchLast(new FlashAttention(pool), 1, layers,
                l -> new dev.hyperattention4j.attention.hyper.HyperAttention(c.withLayer(l), pool));
    }

    private static void checkPpl(Goldens g, String type, LlamaSession s, int[] tokens, int context, int windows,
                                 int bos, double rel, String key) throws Exception {
        double expected = g.ppl(type, key);
        assertThat(expected).as(key + " in ppl.json").isNotNaN();
        double ppl = Perplexity.windows(s, tokens, context, bos, windows, null).perplexity();
        System.out.printf("golden %s %s: ppl %s %.4f (reference %.4f, rel %.2g)%n", g.dir().getFileName(), type, key,
                ppl, expected, Math.abs(ppl / expected - 1));
        assertThat(ppl).as("perplexity " + key).isCloseTo(expected, org.assertj.core.data.Offset.offset(
                expected * rel));
    }
}

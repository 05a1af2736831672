package dev.hyperattention4j.llm.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hyperattention4j.attention.hyper.HyperConfig;
import dev.hyperattention4j.llm.model.ModelConfig;
import dev.hyperattention4j.llm.model.RopeScaling;
import dev.hyperattention4j.llm.model.RopeStyle;
import dev.hyperattention4j.llm.testing.TestPools;
import dev.hyperattention4j.runtime.WorkerPool;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

/**
 * Whole-model gradients of a tiny Llama: the float64 oracle against central differences of its own loss
 * (≤ 1e-6 per tensor), then the float32 backward pass against the oracle (≤ 1e-3 per tensor), over GQA, q/k/v
 * biases, tied embeddings, both RoPE pairings, partial rotary dimensions and every RoPE scaling the runtime reads.
 */
class WholeModelGradientTest {
    private static final int N = 7;

    static Stream<Arguments> shapes() {
        return Stream.of(
                Arguments.of("plain", TinyTraining.config()),
                Arguments.of("bias+tied+interleaved", TinyTraining.config(true, true, RopeStyle.INTERLEAVED,
                        RopeScaling.NONE, 4)),
                Arguments.of("partial rotary+linear", TinyTraining.config(false, false, RopeStyle.ROTATE_HALF,
                        RopeScaling.linear(2), 2)),
                Arguments.of("yarn", TinyTraining.config(false, false, RopeStyle.ROTATE_HALF,
                        RopeScaling.yarn(4, 16, 32, 1), 4)),
                Arguments.of("llama3", TinyTraining.config(false, true, RopeStyle.ROTATE_HALF,
                        RopeScaling.llama3(8, 16, 1, 4), 4)),
                Arguments.of("dynamic", TinyTraining.config(false, false, RopeStyle.ROTATE_HALF,
                        RopeScaling.dynamic(2, 4), 4)),
                Arguments.of("divisors", TinyTraining.config(false, false, RopeStyle.INTERLEAVED,
                        RopeScaling.divisors(new float[] {1f, 3f}), 4)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("shapes")
    void oracleMatchesCentralDifferences(String name, ModelConfig c) {
        LlamaParameters p = TinyTraining.parameters(c, 11);
        int[] tokens = TinyTraining.tokens(N + 1, c.vocabSize(), 5);
        ReferenceTraining ref = new ReferenceTraining(c, N);
        double[][] w = ReferenceTraining.toDouble(p);
        double[][] g = ReferenceTraining.zerosLike(w);
        ref.run(w, tokens, N, g);
        double h = 1e-5;
        for (int i = 0; i < w.length; i++) {
            double[] fd = new double[w[i].length];
            for (int k = 0; k < fd.length; k++) {
                double keep = w[i][k];
                w[i][k] = keep + h;
                double up = ref.run(w, tokens, N, null);
                w[i][k] = keep - h;
                double down = ref.run(w, tokens, N, null);
                w[i][k] = keep;
                fd[k] = (up - down) / (2 * h);
            }
            double err = TinyTraining.relativeError(g[i], fd);
            assertTrue(err <= 1e-6, name + ": tensor " + p.tensors().get(i).name() + " relative error " + err);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("shapes")
    void float32BackwardMatchesOracle(String name, ModelConfig c) {
        LlamaParameters p = TinyTraining.parameters(c, 12);
        int[] tokens = TinyTraining.tokens(N + 1, c.vocabSize(), 6);
        double[][] w = ReferenceTraining.toDouble(p);
        double[][] g = ReferenceTraining.zerosLike(w);
        double refLoss = new ReferenceTraining(c, N).run(w, tokens, N, g);
        for (WorkerPool pool : List.of(new WorkerPool(1), TestPools.twoThreads())) {
            LlamaBackprop bp = new LlamaBackprop(c, N, TrainingAttention.exact(), pool);
            LlamaParameters grads = p.zerosLike();
            double loss = bp.lossAndGradient(p, tokens, N, grads, 1f);
            assertEquals(refLoss, loss, 1e-5 * refLoss, name + ": loss");
            assertEquals(refLoss, bp.loss(p, tokens, N), 1e-5 * refLoss, name + ": forward-only loss");
            for (int i = 0; i < g.length; i++) {
                double err = TinyTraining.relativeError(grads.tensors().get(i).data(), g[i]);
                assertTrue(err <= 1e-3, name + ": tensor " + p.tensors().get(i).name() + " relative error " + err);
            }
        }
    }

    /** Gradients of two micro-batches accumulate: half of each equals the oracle's mean of both. */
    @Test
    void microBatchesAccumulate() {
        ModelConfig c = TinyTraining.config();
        LlamaParameters p = TinyTraining.parameters(c, 13);
        int[] a = TinyTraining.tokens(N + 1, c.vocabSize(), 7), b = TinyTraining.tokens(N + 1, c.vocabSize(), 8);
        ReferenceTraining ref = new ReferenceTraining(c, N);
        double[][] w = ReferenceTraining.toDouble(p);
        double[][] ga = ReferenceTraining.zerosLike(w), gb = ReferenceTraining.zerosLike(w);
        ref.run(w, a, N, ga);
        ref.run(w, b, N, gb);
        LlamaBackprop bp = new LlamaBackprop(c, N, TrainingAttention.exact(), TestPools.twoThreads());
        LlamaParameters grads = p.zerosLike();
        bp.lossAndGradient(p, a, N, grads, 0.5f);
        bp.lossAndGradient(p, b, N, grads, 0.5f);
        for (int i = 0; i < w.length; i++) {
            double[] mean = new double[w[i].length];
            for (int k = 0; k < mean.length; k++) {
                mean[k] = (ga[i][k] + gb[i][k]) / 2;
            }
            double err = TinyTraining.relativeError(grads.tensors().get(i).data(), mean);
            assertTrue(err <= 1e-3, p.tensors().get(i).name() + " relative error " + err);
        }
    }

    /**
     * HyperAttention in the last layer, set up so that its estimate is exact (one block holds the whole window, no
     * samples): the gradients equal those of exact attention; and a real approximation (blocks of 4, 2 samples,
     * 16 tokens) gives bit-identical gradients on 1 and 2 threads.
     */
    @Test
    void hyperAttentionLayers() {
        ModelConfig c = TinyTraining.config();
        int n = 16;
        LlamaParameters p = TinyTraining.parameters(c, 14);
        int[] tokens = TinyTraining.tokens(n + 1, c.vocabSize(), 9);
        LlamaParameters exact = p.zerosLike(), oneBlock = p.zerosLike();
        WorkerPool two = TestPools.twoThreads();
        double l0 = new LlamaBackprop(c, n, TrainingAttention.exact(), two).lossAndGradient(p, tokens, n, exact, 1f);
        HyperConfig whole = new HyperConfig(n, 0, 0, 1, 7, 0, HyperConfig.Compat.OFF);
        double l1 = new LlamaBackprop(c, n, new TrainingAttention(1, whole), two).lossAndGradient(p, tokens, n,
                oneBlock, 1f);
        assertEquals(l0, l1, 1e-6 * l0);
        for (int i = 0; i < exact.tensors().size(); i++) {
            float[] e = exact.tensors().get(i).data(), h = oneBlock.tensors().get(i).data();
            double[] ed = new double[e.length];
            for (int k = 0; k < e.length; k++) {
                ed[k] = e[k];
            }
            double err = TinyTraining.relativeError(h, ed);
            assertTrue(err <= 1e-5, exact.tensors().get(i).name() + " relative error " + err);
        }
        HyperConfig approx = new HyperConfig(4, 2, 2, 1, 7, 0, HyperConfig.Compat.OFF);
        LlamaParameters g1 = p.zerosLike(), g2 = p.zerosLike();
        double a1 = new LlamaBackprop(c, n, new TrainingAttention(2, approx), new WorkerPool(1)).lossAndGradient(p,
                tokens, n, g1, 1f);
        double a2 = new LlamaBackprop(c, n, new TrainingAttention(2, approx), two).lossAndGradient(p, tokens, n, g2,
                1f);
        assertEquals(a1, a2);
        assertTrue(Math.abs(a1 - l0) > 1e-6, "the approximation should change the loss: " + a1 + " vs " + l0);
        for (int i = 0; i < g1.tensors().size(); i++) {
            assertArrayEquals(g1.tensors().get(i).data(), g2.tensors().get(i).data(), g1.tensors().get(i).name());
        }
    }
}

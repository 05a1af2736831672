package dev.hyperattention4j.llm.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hyperattention4j.attention.FlashAttention;
import dev.hyperattention4j.llm.testing.TestPools;
import dev.hyperattention4j.reference.NaiveAttention;
import dev.hyperattention4j.llm.model.DType;
import dev.hyperattention4j.llm.model.ModelConfig;
import dev.hyperattention4j.llm.model.RopeStyle;
import dev.hyperattention4j.runtime.WorkerPool;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class LlamaSessionTest {
    static final WorkerPool pool = TestPools.twoThreads();

    static Stream<Arguments> models() {
        return Stream.of(
                // dim, hidden, layers, heads, kvHeads, vocab, rope, tied, type, bias
                Arguments.of(64, 172, 2, 8, 4, 96, RopeStyle.INTERLEAVED, true, DType.F32, false),
                Arguments.of(128, 384, 2, 8, 4, 100, RopeStyle.ROTATE_HALF, true, DType.F32, false),
                Arguments.of(64, 96, 1, 4, 1, 64, RopeStyle.ROTATE_HALF, false, DType.F16, true),
                Arguments.of(64, 128, 2, 2, 2, 80, RopeStyle.INTERLEAVED, false, DType.Q8_0, false),
                Arguments.of(96, 160, 1, 3, 3, 70, RopeStyle.ROTATE_HALF, false, DType.Q4_0, false));
    }

    static int[] tokens(int n, int vocab, long seed) {
        Random r = new Random(seed);
        int[] t = new int[n];
        for (int i = 0; i < n; i++) {
            t[i] = r.nextInt(vocab);
        }
        return t;
    }

    /** Largest |a - b| over a row, relative to the row's largest |b|. */
    static double relErr(float[] a, int off, double[] b) {
        double err = 0, scale = 0;
        for (int i = 0; i < b.length; i++) {
            err = Math.max(err, Math.abs(a[off + i] - b[i]));
            scale = Math.max(scale, Math.abs(b[i]));
        }
        return err / scale;
    }

    /**
     * Prefill (batched, several token tiles) and token-by-token decode both match the float64 reference at 1e-4
     * of the row's largest logit (float32 over a few layers stays near 1e-6), for both RoPE conventions, GQA,
     * biases, untied heads, and float16 / Q8_0 / Q4_0 weights (the reference uses the same decoded weights).
     */
    @ParameterizedTest(name = "dim {0} hidden {1} layers {2} heads {3}/{4} {6} tied={7} {8} bias={9}")
    @MethodSource("models")
    void prefillAndDecodeMatchReference(int dim, int hidden, int layers, int heads, int kvHeads, int vocab,
                                        RopeStyle rope, boolean tied, DType type, boolean bias) {
        KernelWarmup.awaitReady();   // so that decode takes the multi-threaded phased path
        ModelConfig c = SyntheticModel.config(dim, hidden, layers, heads, kvHeads, vocab, rope, tied);
        SyntheticModel weights = new SyntheticModel(c, dim + hidden, type, bias);
        LlamaModel model = LlamaModel.of(c, weights);
        int n = 70;
        int[] toks = tokens(n, vocab, 3);
        double[][] ref = ReferenceLlama.logits(weights, toks);

        LlamaSession prefill = model.newSession(96, AttentionPlan.exact(new FlashAttention(pool)), pool);
        float[] logits = new float[n * prefill.logitStride()];
        prefill.forward(toks, 0, n, logits, 0);
        assertThat(prefill.position()).isEqualTo(n);

        // the session's own row attention (the kernel decode uses): with F32 weights prefill and decode give the same
        // bits; packed weights are multiplied in another summation order by prefill (one FMA chain per output) than
        // by decode (lanes reduced by a tree), so there the two agree to float32 rounding (docs/QUANT-KERNELS.md)
        LlamaSession rows = model.newSession(96, AttentionPlan.exact(new RowwiseAttention(pool)), pool);
        float[] rowLogits = new float[n * rows.logitStride()];
        rows.forward(toks, 0, n, rowLogits, 0);

        LlamaSession decode = model.newSession(n, AttentionPlan.exact(new FlashAttention(pool)), pool);
        for (int t = 0; t < n; t++) {
            float[] step = decode.decode(toks[t]);
            assertThat(relErr(logits, t * prefill.logitStride(), ref[t])).as("prefill position %d", t).isLessThan(1e-4);
            assertThat(relErr(step, 0, ref[t])).as("decode position %d", t).isLessThan(1e-4);
            int at = t * rows.logitStride();
            float[] rowPrefill = java.util.Arrays.copyOfRange(rowLogits, at, at + vocab);
            if (type == DType.F32) {
                assertThat(rowPrefill).as("row prefill = decode, position %d", t)
                        .containsExactly(java.util.Arrays.copyOf(step, vocab));
            } else {
                double[] decoded = new double[vocab];
                for (int v = 0; v < vocab; v++) {
                    decoded[v] = step[v];
                }
                assertThat(relErr(rowPrefill, 0, decoded)).as("row prefill ~ decode, position %d", t).isLessThan(1e-5);
            }
        }
    }

    /** A prompt split in two prefills (the second attends to the cache, causal aligned to the end) agrees too. */
    @Test
    void chunkedPrefillContinuesFromTheCache() {
        ModelConfig c = SyntheticModel.config(64, 172, 2, 8, 4, 96, RopeStyle.INTERLEAVED, true);
        SyntheticModel weights = new SyntheticModel(c, 9, DType.F32, false);
        LlamaModel model = LlamaModel.of(c, weights);
        int[] toks = tokens(90, 96, 11);
        double[][] ref = ReferenceLlama.logits(weights, toks);
        LlamaSession s = model.newSession(90, AttentionPlan.exact(new FlashAttention(pool)), pool);
        float[] first = new float[40 * s.logitStride()];
        s.forward(toks, 0, 40, first, 0);
        float[] second = new float[50 * s.logitStride()];
        s.forward(toks, 40, 50, second, 0);
        for (int t = 0; t < 90; t++) {
            float[] arr = t < 40 ? first : second;
            int row = t < 40 ? t : t - 40;
            assertThat(relErr(arr, row * s.logitStride(), ref[t])).as("position %d", t).isLessThan(1e-4);
        }
        assertThatThrownBy(() -> s.decode(1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("context holds 90");
    }

    /**
     * A large output head (vocab · dim ≥ the row-split threshold) for the last position only is split by rows
     * across the prefill job's participants; the logits equal those of the tile path (all positions) bit for bit.
     */
    @Test
    void splitOutputHeadOfALongPromptEqualsTheTilePath() {
        KernelWarmup.awaitReady();
        ModelConfig c = SyntheticModel.config(128, 256, 1, 8, 4, 8192, RopeStyle.ROTATE_HALF, true);
        LlamaModel model = LlamaModel.of(c, new SyntheticModel(c, 17, DType.F32, false));
        assertThat((long) c.vocabSize() * c.dim()).isGreaterThanOrEqualTo(LlamaSession.SPLIT_ROWS_MACS);
        int n = 70;
        int[] toks = tokens(n, 8192, 8);
        LlamaSession last = model.newSession(n, AttentionPlan.exact(new RowwiseAttention(pool)), pool);
        float[] got = last.forwardLast(toks).clone();
        LlamaSession all = model.newSession(n, AttentionPlan.exact(new RowwiseAttention(pool)), pool);
        float[] rows = new float[n * all.logitStride()];
        all.forward(toks, 0, n, rows, 0);
        int at = (n - 1) * all.logitStride();
        assertThat(java.util.Arrays.copyOf(got, 8192)).containsExactly(java.util.Arrays.copyOfRange(rows, at, at + 8192));
    }

    /** Results do not depend on the thread count or on the exact kernel chosen per layer. */
    @Test
    void threadCountAndPlanDoNotChangeExactResults() {
        KernelWarmup.awaitReady();   // compare vector paths, not the cold-start scalar path with them
        ModelConfig c = SyntheticModel.config(128, 384, 2, 8, 4, 2048, RopeStyle.ROTATE_HALF, true);
        SyntheticModel weights = new SyntheticModel(c, 4, DType.F32, false);
        LlamaModel model = LlamaModel.of(c, weights);
        int[] toks = tokens(200, 2048, 5);
        float[] a, b, d;
        try (WorkerPool one = new WorkerPool(1)) {
            LlamaSession s = model.newSession(256, AttentionPlan.exact(new RowwiseAttention(one)), one);
            a = new float[200 * s.logitStride()];
            s.forward(toks, 0, 200, a, 0);
        }
        LlamaSession s2 = model.newSession(256, AttentionPlan.exact(new RowwiseAttention(pool)), pool);
        b = new float[200 * s2.logitStride()];
        s2.forward(toks, 0, 200, b, 0);
        // bit for bit: every kernel has a fixed operation order (no reduceLanes(ADD), no lanewise(EXP)), so neither
        // the thread count nor the JIT state changes a result
        int firstDiff = java.util.Arrays.mismatch(a, b);
        assertThat(firstDiff).as("first differing logit (%s vs %s)", firstDiff < 0 ? "" : a[firstDiff],
                firstDiff < 0 ? "" : b[firstDiff]).isEqualTo(-1);
        // the last layer through the float64 oracle instead: same logits to float rounding
        LlamaSession s3 = model.newSession(256, AttentionPlan.patchLast(new FlashAttention(pool), 1, c.layers(), l -> new NaiveAttention()),
                pool);
        d = new float[200 * s3.logitStride()];
        s3.forward(toks, 0, 200, d, 0);
        double maxDiff = 0;
        for (int i = 0; i < a.length; i++) {
            maxDiff = Math.max(maxDiff, Math.abs(a[i] - d[i]));
        }
        assertThat(maxDiff).isGreaterThan(0).isLessThan(1e-3);
    }

    /**
     * A warm single-threaded decode step allocates nothing: every buffer belongs to the session. Measured in a JVM of
     * its own (DecodeAllocationMain): in this one, the profiles of the tests before it had sometimes left a temporary
     * that escape analysis did not remove (480 B per step).
     */
    @Test
    void decodeDoesNotAllocate() throws Exception {
        dev.hyperattention4j.testing.ForkedJvm.Result r =
                dev.hyperattention4j.testing.ForkedJvm.run(DecodeAllocationMain.class, "256m", 300);
        assertThat(r.exitCode()).as(r.output()).isZero();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("bytes=(\\d+)").matcher(r.output());
        assertThat(m.find()).as(r.output()).isTrue();
        long bytes = Long.parseLong(m.group(1));
        assertThat(bytes).as("bytes allocated by 200 decode steps").isLessThan(2048);
    }
}

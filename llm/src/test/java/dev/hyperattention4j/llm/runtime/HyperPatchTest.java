package dev.hyperattention4j.llm.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hyperattention4j.attention.FlashAttention;
import dev.hyperattention4j.attention.hyper.HyperAttention;
import dev.hyperattention4j.attention.hyper.HyperConfig;
import dev.hyperattention4j.llm.model.Model;
import dev.hyperattention4j.llm.model.ModelLoader;
import dev.hyperattention4j.llm.testing.SharedData;
import dev.hyperattention4j.llm.testing.TestPools;
import dev.hyperattention4j.runtime.WorkerPool;
import java.nio.file.Files;
import org.junit.jupiter.api.Test;

/**
 * HyperAttention in the last layers of the 656k model: settings that make it exact leave perplexity unchanged;
 * real settings over a long context (8,192 tokens of War and Peace, 16× the trained 512, where only the change
 * against exact attention means anything) change it by a reported, bounded amount.
 */
class HyperPatchTest {
    static final WorkerPool pool = TestPools.twoThreads();

    static AttentionPlan hyper(int layers, int patchLast, HyperConfig config) {
        return AttentionPlan.patchLast(new FlashAttention(pool), patchLast, layers,
                l -> new HyperAttention(config.withLayer(l), pool));
    }

    static Perplexity.Result ppl(LlamaModel model, AttentionPlan plan, int[] tokens, int context, int bos) {
        return Perplexity.windows(model.newSession(context, plan, pool), tokens, context, bos, 1, null);
    }

    /** The model's tokens (BOS first) of the first {@code chars} characters of a shared text. */
    static int[] tokens(Model m, String text, int chars) throws java.io.IOException {
        return m.tokenizer().encode(Files.readString(SharedData.require(text)).substring(0, chars), true);
    }

    @Test
    void exactSettingsLeavePerplexityUnchanged() throws Exception {
        try (Model m = ModelLoader.open(SharedData.tinystories656k())) {
            LlamaModel model = LlamaModel.of(m);
            int[] tokens = tokens(m, "texts/alice.txt", 20_000);
            int bos = m.tokenizer().bosId(), layers = m.config().layers();
            Perplexity.Result exact = ppl(model, AttentionPlan.exact(new FlashAttention(pool)), tokens, 512, bos);
            // n = 512 below min_seq_len: HyperAttention answers with the exact kernel, bit for bit
            Perplexity.Result shortSeq = ppl(model, hyper(layers, layers, HyperConfig.defaults()), tokens, 512, bos);
            assertThat(shortSeq.perplexity()).isEqualTo(exact.perplexity());
            // b >= n: one block holds every key, so nothing is sampled or dropped (float rounding only)
            HyperConfig wholeBlock = HyperConfig.defaults().withBlockSize(512).withSampleSize(64).withMinSeqLen(16);
            Perplexity.Result block = ppl(model, hyper(layers, layers, wholeBlock), tokens, 512, bos);
            assertThat(block.perplexity()).isCloseTo(exact.perplexity(),
                    org.assertj.core.data.Percentage.withPercentage(1e-3));
            assertThat(exact.tokensScored()).isEqualTo(block.tokensScored()).isPositive();
        }
    }

    @Test
    void realSettingsOnALongContextChangePerplexityBoundedly() throws Exception {
        try (Model m = ModelLoader.open(SharedData.tinystories656k())) {
            LlamaModel model = LlamaModel.of(m);
            int[] tokens = tokens(m, "texts/war_and_peace.txt", 40_000);
            assertThat(tokens.length).isGreaterThan(8192);
            int bos = m.tokenizer().bosId();
            Perplexity.Result exact = ppl(model, AttentionPlan.exact(new FlashAttention(pool)), tokens, 8192, bos);
            HyperConfig real = HyperConfig.defaults().withBlockSize(256).withSampleSize(256).withMinSeqLen(1024);
            Perplexity.Result patched = ppl(model, hyper(m.config().layers(), 1, real), tokens, 8192, bos);
            double change = patched.perplexity() / exact.perplexity() - 1;
            System.out.printf("8192-token window, 656k: exact ppl %.4f, HyperAttention in the last layer %.4f "
                    + "(%+.2f%%), %d tokens scored%n", exact.perplexity(), patched.perplexity(), 100 * change,
                    exact.tokensScored());
            assertThat(exact.tokensScored()).isEqualTo(8192 - 1 - 4096);
            assertThat(exact.perplexity()).isFinite().isGreaterThan(1);
            assertThat(patched.perplexity()).isNotEqualTo(exact.perplexity());
            assertThat(Math.abs(change)).isLessThan(0.5);
        }
    }

    /**
     * Decode after a HyperAttention prefill is exact over the cache: with only the last layer patched, every cached
     * key and value equals the exact run's (they are computed before that layer's attention), so the prefill logits
     * differ but the next decode step's logits are bit-identical.
     */
    @Test
    void decodeAfterPatchedPrefillIsExact() {
        dev.hyperattention4j.llm.model.ModelConfig c = SyntheticModel.config(64, 128, 2, 4, 2, 64,
                dev.hyperattention4j.llm.model.RopeStyle.ROTATE_HALF, true);
        LlamaModel model = LlamaModel.of(c, new SyntheticModel(c, 21, dev.hyperattention4j.llm.model.DType.F32,
                false));
        int n = 700;
        int[] tokens = LlamaSessionTest.tokens(n, 64, 22);
        HyperConfig real = HyperConfig.defaults().withBlockSize(64).withSampleSize(64).withMinSeqLen(128);
        LlamaSession exact = model.newSession(n + 1, AttentionPlan.exact(new FlashAttention(pool)), pool);
        LlamaSession patched = model.newSession(n + 1, hyper(c.layers(), 1, real), pool);
        float[] a = exact.forwardLast(tokens).clone();
        float[] b = patched.forwardLast(tokens).clone();
        assertThat(java.util.Arrays.mismatch(a, b)).as("prefill logits differ").isNotEqualTo(-1);
        float[] da = exact.decode(7).clone();
        float[] db = patched.decode(7).clone();
        assertThat(db).containsExactly(da);
    }
}

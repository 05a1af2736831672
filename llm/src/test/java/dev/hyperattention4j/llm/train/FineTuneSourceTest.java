package dev.hyperattention4j.llm.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hyperattention4j.attention.FlashAttention;
import dev.hyperattention4j.llm.format.io.Json;
import dev.hyperattention4j.llm.model.DType;
import dev.hyperattention4j.llm.model.Model;
import dev.hyperattention4j.llm.model.ModelConfig;
import dev.hyperattention4j.llm.model.ModelLoader;
import dev.hyperattention4j.llm.model.RopeStyle;
import dev.hyperattention4j.llm.runtime.AttentionPlan;
import dev.hyperattention4j.llm.runtime.LlamaModel;
import dev.hyperattention4j.llm.runtime.LlamaSession;
import dev.hyperattention4j.llm.testing.GgufConverter;
import dev.hyperattention4j.llm.testing.Goldens;
import dev.hyperattention4j.llm.testing.SharedData;
import dev.hyperattention4j.llm.testing.TestPools;
import dev.hyperattention4j.llm.tokenizer.Tokenizer;
import dev.hyperattention4j.runtime.WorkerPool;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fine-tuning starts from llama2.c and GGUF files as well as Hugging Face directories: exported without training,
 * the checkpoint's tokenizer.json gives the source tokenizer's ids, and the checkpoint run by the runtime gives the
 * source model's logits (the source run on its weights decoded to float32, in its own interleaved RoPE layout).
 */
class FineTuneSourceTest {
    private static final int LOGIT_TOKENS = 40;

    /** A book excerpt and texts that stress the tokenizers: non-ASCII, digits, whitespace runs. */
    private static List<String> texts() throws Exception {
        String alice = Files.readString(SharedData.require("texts/alice.txt"));
        List<String> t = new ArrayList<>();
        t.add(alice.substring(20_000, 22_000));
        t.add("Grüße aus Köln: naïve café, 東京, Ελληνικά, emoji 🎉 and ☃ — “quoted” ‘text’.");
        t.add("Digits 0123456789, pi 3.14159, 2026-12-07, 1,000,000 and x86_64.");
        t.add("Spaces:  two   three    four\t\ttabs\n\n\nnewlines   \n  end  ");
        t.add(" a leading space");
        t.add("End.<|end_story|> Next<|endoftext|>story <s> and </s>.");
        return t;
    }

    @Test
    void llama2cCheckpointExportsItsTokenizerAndLogits(@TempDir Path dir) throws Exception {
        check(SharedData.stories260k(), dir, 2e-5);
    }

    @Test
    void ggufSentencePieceVocabularyExportsAtF32AndQuantized(@TempDir Path dir) throws Exception {
        Goldens g = Goldens.folder("llama-kq");
        check(g.model("F32"), dir.resolve("f32"), 2e-5);
        check(g.model("Q4_K_M"), dir.resolve("q4km"), 2e-5);
        check(g.model("Q8_0"), dir.resolve("q8"), 2e-5);
    }

    @Test
    void ggufByteLevelVocabularyExportsWithBiasesAndTiedHead(@TempDir Path dir) throws Exception {
        Goldens g = Goldens.folder("qwen2");
        check(g.model("F32"), dir.resolve("f32"), 2e-5);
        check(g.model("Q4_K_M"), dir.resolve("q4km"), 2e-5);
    }

    /**
     * A Hugging Face model converted to GGUF (Q/K rows permuted to interleaved order, the vocabulary as GGUF keys)
     * and fine-tuning's export of that file: the same float32 weights, bit for bit, and the GGUF file's tokens.
     */
    @Test
    void huggingFaceToGgufToCheckpointRestoresTheOriginalWeights(@TempDir Path dir) throws Exception {
        Path hf = SharedData.tinystories656k();
        try (Model original = ModelLoader.open(hf)) {
            Path gguf = GgufConverter.convert(original, DType.F32, dir.resolve("656k.gguf"));
            FineTuneSource s = FineTuneSource.open(gguf, null, c -> c);
            LlamaParameters expected = LlamaParameters.of(original.config(), original.weights());
            for (int i = 0; i < expected.tensors().size(); i++) {
                assertArrayEquals(expected.tensors().get(i).data(), s.parameters().tensors().get(i).data(),
                        expected.tensors().get(i).name());
            }
            try (Model converted = ModelLoader.open(gguf)) {
                for (String text : texts()) {
                    assertArrayEquals(converted.tokenizer().encode(text, true), s.tokenizer().encode(text, true),
                            text);
                }
            }
        }
    }

    @Test
    void architecturesACheckpointCannotHoldAreRefusedInOneLine() {
        IllegalArgumentException phi = assertThrows(IllegalArgumentException.class,
                () -> FineTuneSource.open(Goldens.folder("phi2").model("F32"), null, c -> c));
        assertTrue(phi.getMessage().contains("LayerNorm"), phi.getMessage());
        IllegalArgumentException freqs = assertThrows(IllegalArgumentException.class,
                () -> FineTuneSource.open(Goldens.folder("rope-llama3").model("F32"), null, c -> c));
        assertTrue(freqs.getMessage().contains("rope_freqs"), freqs.getMessage());
        for (String m : List.of(phi.getMessage(), freqs.getMessage())) {
            assertTrue(!m.contains("\n"), m);
        }
    }

    private static void check(Path model, Path dir, double tolerance) throws Exception {
        FineTuneSource s = FineTuneSource.open(model, null, c -> c);
        LlamaParameters p = s.parameters();
        Checkpoint.save(dir, p, new AdamW(AdamW.Settings.defaults(), p), 0, s.tokenizerJson(),
                Json.MAPPER.createObjectNode());
        WorkerPool pool = TestPools.twoThreads();
        try (Model src = ModelLoader.open(model); Model ckpt = ModelLoader.open(dir)) {
            assertEquals(RopeStyle.ROTATE_HALF, ckpt.config().ropeStyle());
            Tokenizer a = src.tokenizer(), b = ckpt.tokenizer();
            assertEquals(a.addsBos(), b.addsBos(), "adds BOS");
            for (String text : texts()) {
                int[] ids = a.encode(text, true);
                assertArrayEquals(ids, b.encode(text, true), model + ": " + text);
                assertArrayEquals(a.encodeContinuation(text), b.encodeContinuation(text), model + ": " + text);
                assertEquals(a.decode(ids), b.decode(ids), model + ": decode");
            }
            int[] tokens = Arrays.copyOf(a.encode(texts().getFirst(), true), LOGIT_TOKENS);
            float[] expected = logits(LlamaModel.of(src.config(), new DequantizedWeights(src.weights())), tokens,
                    pool);
            float[] actual = logits(LlamaModel.of(ckpt), tokens, pool);
            double maxDiff = 0, maxAbs = 0;
            for (int i = 0; i < expected.length; i++) {
                maxDiff = Math.max(maxDiff, Math.abs(expected[i] - actual[i]));
                maxAbs = Math.max(maxAbs, Math.abs(expected[i]));
            }
            System.out.printf("%s: max |logit| %.3f, max difference %.3g%n", model.getFileName(), maxAbs, maxDiff);
            assertTrue(maxDiff <= tolerance * maxAbs, model + ": logits differ by " + maxDiff
                    + " (max |logit| " + maxAbs + ")");
        }
    }

    /** The logits of every position, vocabulary-wide rows. */
    private static float[] logits(LlamaModel m, int[] tokens, WorkerPool pool) {
        ModelConfig c = m.config();
        LlamaSession s = m.newSession(tokens.length, AttentionPlan.exact(new FlashAttention(pool)), pool);
        float[] padded = new float[tokens.length * s.logitStride()];
        s.forward(tokens, 0, tokens.length, padded, 0);
        float[] out = new float[tokens.length * c.vocabSize()];
        for (int t = 0; t < tokens.length; t++) {
            System.arraycopy(padded, t * s.logitStride(), out, t * c.vocabSize(), c.vocabSize());
        }
        return out;
    }
}

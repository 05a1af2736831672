package dev.hyperattention4j.llm.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hyperattention4j.attention.FlashAttention;
import dev.hyperattention4j.llm.format.io.Json;
import dev.hyperattention4j.llm.model.Model;
import dev.hyperattention4j.llm.model.ModelConfig;
import dev.hyperattention4j.llm.model.ModelLoader;
import dev.hyperattention4j.llm.model.RopeScaling;
import dev.hyperattention4j.llm.runtime.AttentionPlan;
import dev.hyperattention4j.llm.runtime.LlamaModel;
import dev.hyperattention4j.llm.runtime.LlamaSession;
import dev.hyperattention4j.llm.runtime.Perplexity;
import dev.hyperattention4j.llm.testing.TestPools;
import dev.hyperattention4j.llm.tokenizer.ByteTokenizerJson;
import dev.hyperattention4j.llm.tokenizer.Tokenizer;
import dev.hyperattention4j.runtime.WorkerPool;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A checkpoint written by training is an ordinary Hugging Face model to the runtime: it loads with the same
 * configuration and tokenizer, and the inference forward pass ({@link LlamaSession}, {@link Perplexity}) on those
 * weights agrees with the training forward pass (logits and loss within float tolerance).
 */
class RuntimeAgreementTest {
    @Test
    void runtimeReadsTheCheckpointAndComputesTheSameLogitsAndLoss(@TempDir Path dir) throws Exception {
        for (ModelConfig c : List.of(TrainerTest.byteModel(false, RopeScaling.NONE),
                TrainerTest.byteModel(true, RopeScaling.llama3(4, 16, 1, 4)))) {
            LlamaParameters p = TinyTraining.parameters(c, 21);
            Path ckpt = dir.resolve("ckpt-" + c.attentionBias());
            Checkpoint.save(ckpt, p, new AdamW(AdamW.Settings.defaults(), p), 0, ByteTokenizerJson.create(),
                    Json.MAPPER.createObjectNode());
            String text = "Résumé: the model reads its own checkpoint back.";
            int[] tokens = TrainerTest.bytes(text);
            int n = tokens.length - 1;
            WorkerPool pool = TestPools.twoThreads();
            LlamaBackprop bp = new LlamaBackprop(c, n, TrainingAttention.exact(), pool);
            float[] expected = bp.logits(p, tokens, n);
            double trainLoss = bp.loss(p, tokens, n);
            try (Model m = ModelLoader.open(ckpt)) {
                ModelConfig back = m.config();
                assertEquals(c, back, "config round trip");
                assertEquals(c.bosId(), back.bosId());
                Tokenizer tok = m.tokenizer();
                assertArrayEquals(tokens, tok.encode(text, false), "byte-level tokenizer.json round trip");
                assertEquals(text, tok.decode(tokens));
                LlamaParameters read = LlamaParameters.of(back, m.weights());
                for (int i = 0; i < p.tensors().size(); i++) {
                    assertArrayEquals(p.tensors().get(i).data(), read.tensors().get(i).data(),
                            p.tensors().get(i).name());
                }
                LlamaSession s = LlamaModel.of(m).newSession(n + 1, AttentionPlan.exact(new FlashAttention(pool)), pool);
                float[] logits = new float[n * s.logitStride()];
                s.forward(tokens, 0, n, logits, 0);
                double num = 0, den = 0;
                for (int t = 0; t < n; t++) {
                    for (int v = 0; v < c.vocabSize(); v++) {
                        double d = logits[t * s.logitStride() + v] - expected[t * c.vocabSize() + v];
                        num += d * d;
                        den += (double) expected[t * c.vocabSize() + v] * expected[t * c.vocabSize() + v];
                    }
                }
                double err = Math.sqrt(num / den);
                assertTrue(err < 1e-5, "logits relative error " + err);
                s.reset();
                Perplexity.Result r = Perplexity.sequences(s, List.of(tokens), "all", null);
                assertEquals(trainLoss, r.meanNll(), 1e-5 * trainLoss, "mean NLL");
            }
        }
    }
}

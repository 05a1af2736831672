package dev.hyperattention4j.llm.hardening;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hyperattention4j.attention.FlashAttention;
import dev.hyperattention4j.llm.model.Model;
import dev.hyperattention4j.llm.model.ModelLoader;
import dev.hyperattention4j.llm.runtime.AttentionPlan;
import dev.hyperattention4j.llm.runtime.LlamaModel;
import dev.hyperattention4j.llm.runtime.LlamaSession;
import dev.hyperattention4j.llm.runtime.Perplexity;
import dev.hyperattention4j.runtime.WorkerPool;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A model whose weights hold a NaN (a corrupt download) makes perplexity fail loudly instead of printing NaN. */
class NonFiniteModelTest {

    @Test
    void nllOfNonFiniteLogitsIsAnError() {
        assertThat(Perplexity.nll(new float[] {1f, 2f, 3f}, 0, 3, 2)).isFinite().isPositive();
        assertThatThrownBy(() -> Perplexity.nll(new float[] {1f, Float.NaN, 3f}, 0, 3, 2))
                .isInstanceOf(ArithmeticException.class).hasMessageContaining("non-finite logits");
        assertThatThrownBy(() -> Perplexity.nll(new float[] {1f, Float.POSITIVE_INFINITY, 3f}, 0, 3, 2))
                .isInstanceOf(ArithmeticException.class);
    }

    @Test
    void perplexityOfAModelWithANaNWeightFailsWithAClearError(@TempDir Path dir) throws Exception {
        byte[] checkpoint = TinyModelFiles.llama2c();
        // first float of the first layer's wq (after the 28-byte header, the embedding and the attention norm)
        int at = 28 + 4 * (TinyModelFiles.VOCAB * TinyModelFiles.DIM + TinyModelFiles.DIM);
        ByteBuffer.wrap(checkpoint).order(ByteOrder.LITTLE_ENDIAN).putFloat(at, Float.NaN);
        try (Model m = ModelLoader.open(TinyModelFiles.writeLlama2c(dir, checkpoint, TinyModelFiles.tokenizerBin()))) {
            LlamaSession s = LlamaModel.of(m).newSession(16, AttentionPlan.exact(new FlashAttention()),
                    WorkerPool.shared());
            assertThatThrownBy(() -> Perplexity.sequences(s, List.of(new int[] {1, 260, 261, 262}), "test", null))
                    .isInstanceOf(ArithmeticException.class).hasMessageContaining("corrupt weights");
        }
    }
}

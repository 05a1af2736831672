package dev.hyperattention4j.llm.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hyperattention4j.attention.FlashAttention;
import dev.hyperattention4j.llm.model.Model;
import dev.hyperattention4j.llm.model.ModelLoader;
import dev.hyperattention4j.llm.model.RopeScaling;
import dev.hyperattention4j.llm.testing.SharedData;
import dev.hyperattention4j.llm.testing.TestPools;
import dev.hyperattention4j.runtime.WorkerPool;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The project's own long-context model under {@code models/books-3m}: the weights are the ones its README names
 * (sha256), it loads with the shape and the extended context the README gives, and it uses its context: on a held-out
 * book, the second halves of 4096-token windows are predicted clearly better than the second halves of 512-token
 * windows of the same text (llama.cpp's perplexity protocol at both lengths).
 */
class BooksModelTest {
    static final Path MODEL = Path.of("..", "models", "books-3m");
    static final WorkerPool pool = TestPools.twoThreads();

    @Test
    void theWeightsAreTheOnesTheReadmeNames() throws Exception {
        String readme = Files.readString(MODEL.resolve("README.md"));
        Matcher m = Pattern.compile("sha256 `([0-9a-f]{64})`").matcher(readme);
        assertThat(m.find()).as("README.md gives the weights' sha256").isTrue();
        byte[] digest = MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(MODEL.resolve("model.safetensors")));
        assertThat(HexFormat.of().formatHex(digest)).isEqualTo(m.group(1));
    }

    @Test
    void itLoadsWithItsExtendedContext() throws Exception {
        try (Model m = ModelLoader.open(MODEL)) {
            assertThat(m.config().layers()).isEqualTo(4);
            assertThat(m.config().dim()).isEqualTo(256);
            assertThat(m.config().contextLength()).isEqualTo(16384);
            assertThat(m.config().ropeScaling().type()).isEqualTo(RopeScaling.Type.YARN);
            assertThat(m.config().ropeScaling().originalContext()).isEqualTo(4096);
            assertThat(m.tokenizer().vocabSize()).isEqualTo(258);
        }
    }

    @Test
    void longerWindowsPredictHeldOutTextBetter() throws Exception {
        try (Model m = ModelLoader.open(MODEL)) {
            LlamaModel model = LlamaModel.of(m);
            int[] all = m.tokenizer().encode(Files.readString(SharedData.require("texts/alice.txt")), true);
            int n = 8 * 4096;
            assertThat(all.length).isGreaterThanOrEqualTo(n);
            int[] tokens = Arrays.copyOf(all, n);
            int bos = m.tokenizer().bosId();
            AttentionPlan exact = AttentionPlan.exact(new FlashAttention(pool));
            Perplexity.Result shortWindows = Perplexity.windows(model.newSession(512, exact, pool), tokens, 512, bos, 0,
                    null);
            Perplexity.Result longWindows = Perplexity.windows(model.newSession(4096, exact, pool), tokens, 4096, bos, 0,
                    null);
            System.out.printf("books-3m on alice.txt, %d tokens: ppl %.4f (512-token windows) vs %.4f (4096)%n", n,
                    shortWindows.perplexity(), longWindows.perplexity());
            // "clearly": at least 5 % lower
            assertThat(longWindows.perplexity()).isLessThan(0.95 * shortWindows.perplexity());
        }
    }
}

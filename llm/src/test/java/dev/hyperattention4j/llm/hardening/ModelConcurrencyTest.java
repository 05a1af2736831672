package dev.hyperattention4j.llm.hardening;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hyperattention4j.attention.FlashAttention;
import dev.hyperattention4j.attention.hyper.HyperAttention;
import dev.hyperattention4j.attention.hyper.HyperConfig;
import dev.hyperattention4j.llm.model.Model;
import dev.hyperattention4j.llm.model.ModelLoader;
import dev.hyperattention4j.llm.runtime.AttentionPlan;
import dev.hyperattention4j.llm.runtime.LlamaModel;
import dev.hyperattention4j.llm.runtime.LlamaSession;
import dev.hyperattention4j.runtime.WorkerPool;
import dev.hyperattention4j.testing.ConcurrentCallers;
import dev.hyperattention4j.testing.Interrupted;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * One opened model shared by many threads, each with its own session, on the shared worker pool: the same logits
 * as sequential calls, no deadlock; an interrupted long prefill stops promptly and the model stays usable. Uses the
 * shared stories260K checkpoint when present (a real model), else the tiny llama2.c model written by the test.
 */
class ModelConcurrencyTest {
    private static final int THREADS = 5, ROUNDS = 3, WARM_UP = 12;
    private static Path dir;
    private static Model model;
    private static LlamaModel llama;

    @BeforeAll
    static void open() throws Exception {
        Path shared = Path.of(System.getProperty("ha4j.shared", "../../shared"), "models/stories260K/stories260K.bin");
        if (Files.isRegularFile(shared)) {
            model = ModelLoader.open(shared);
        } else {
            dir = Files.createTempDirectory("ha4j-concurrency");
            model = ModelLoader.open(TinyModelFiles.writeLlama2c(dir, TinyModelFiles.llama2c(),
                    TinyModelFiles.tokenizerBin()));
        }
        llama = LlamaModel.of(model);
    }

    @AfterAll
    static void close() {
        model.close();
    }

    private static int[] prompt(int seed, int n) {
        int[] t = new int[n];
        t[0] = model.config().bosId();
        for (int i = 1; i < n; i++) {
            t[i] = 3 + (seed * 7919 + i * 31) % (model.config().vocabSize() - 3);
        }
        return t;
    }

    /** Prefill of a prompt (exact, or HyperAttention in the last layer) followed by 4 decode steps. */
    private static float[] run(int which) {
        AttentionPlan plan = which % 2 == 0 ? AttentionPlan.exact(new FlashAttention())
                : AttentionPlan.patchLast(new FlashAttention(), 1, model.config().layers(),
                        layer -> new HyperAttention(HyperConfig.defaults().withBlockSize(16).withSampleSize(16)
                                .withMinSeqLen(32).withLayer(layer)));
        int[] tokens = prompt(which, 100 + 37 * which);
        LlamaSession s = llama.newSession(tokens.length + 4, plan, WorkerPool.shared());
        float[] out = new float[5 * model.config().vocabSize()];
        System.arraycopy(s.forwardLast(tokens), 0, out, 0, model.config().vocabSize());
        for (int step = 1; step <= 4; step++) {
            System.arraycopy(s.decode(tokens[step]), 0, out, step * model.config().vocabSize(),
                    model.config().vocabSize());
        }
        return out;
    }

    private static boolean close(float[] a, float[] b) {
        for (int i = 0; i < a.length; i++) {
            if (!(Math.abs(a[i] - b[i]) <= 1e-4f * Math.max(1f, Math.abs(b[i])))) {
                return false;
            }
        }
        return true;
    }

    @Test
    void threadsSharingOneModelGetTheSequentialLogits() throws Exception {
        List<float[]> sequential = new ArrayList<>();
        for (int w = 0; w < THREADS; w++) {
            for (int warm = 0; warm < WARM_UP; warm++) {   // the runtime's last bits settle with the JIT (F6)
                run(w);
            }
            sequential.add(run(w));
        }
        // a deadlock fails as a timeout
        List<Integer> same = ConcurrentCallers.matchingRounds(THREADS, ROUNDS, 300,
                w -> close(run(w), sequential.get(w)));
        for (int count : same) {
            assertThat(count).isEqualTo(ROUNDS);
        }
    }

    @Test
    void interruptingALongPrefillStopsItAndTheModelStaysUsable() throws Exception {
        float[] before = run(0);
        int n = 16384;   // seconds of prefill; the attention units are small
        int[] tokens = prompt(99, n);
        LlamaSession session = llama.newSession(n, AttentionPlan.exact(new FlashAttention()), WorkerPool.shared());
        Interrupted stop = Interrupted.after(500, 60_000, "long-prefill", () -> session.forwardLast(tokens));
        assertThat(stop.stillRunning()).isFalse();
        assertThat(stop.stopMillis()).as("ms to stop").isLessThan(10_000);
        assertThat(stop.thrown()).isInstanceOf(CancellationException.class);
        assertThat(close(run(0), before)).as("same logits after the cancelled call").isTrue();
    }
}

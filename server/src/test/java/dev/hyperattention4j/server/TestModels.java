package dev.hyperattention4j.server;

import dev.hyperattention4j.llm.model.Model;
import dev.hyperattention4j.llm.runtime.Generator;
import dev.hyperattention4j.llm.runtime.LlamaModel;
import dev.hyperattention4j.llm.runtime.LlamaSession;
import dev.hyperattention4j.llm.runtime.RowwiseAttention;
import dev.hyperattention4j.llm.runtime.AttentionPlan;
import dev.hyperattention4j.llm.runtime.Sampler;
import dev.hyperattention4j.llm.testing.ChatModels;
import dev.hyperattention4j.runtime.WorkerPool;
import java.io.IOException;
import java.nio.file.Path;

/** The shared tiny models for server tests (skipped visibly when absent), and the runtime's own answers. */
final class TestModels {
    private TestModels() {
    }

    /** The 656k model copied into {@code dir} with a ChatML template in its tokenizer_config.json. */
    static Path tinyWithTemplate(Path dir) throws IOException {
        return ChatModels.tinyWithTemplate(dir, ChatModels.CHATML);
    }

    /** Stops a test class's server, then closes its model (either is null when start-up failed). */
    static void close(OpenAiServer server, Model model) {
        if (server != null) {
            server.close();
        }
        if (model != null) {
            model.close();
        }
    }

    /** What the runtime generates greedily for these token ids in a fresh session (the oracle of the server). */
    static String greedy(Model m, int[] prompt, int maxTokens) {
        return greedyRun(m, prompt, maxTokens).text();
    }

    static Generator.Result greedyRun(Model m, int[] prompt, int maxTokens) {
        try (WorkerPool pool = new WorkerPool(1)) {
            LlamaSession s = LlamaModel.of(m).newSession(prompt.length + maxTokens,
                    AttentionPlan.exact(new RowwiseAttention(pool)), pool);
            return Generator.generate(s, m.tokenizer(), prompt, maxTokens,
                    new Sampler(dev.hyperattention4j.llm.runtime.SamplingParams.greedy()), null);
        }
    }
}

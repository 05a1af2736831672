package dev.hyperattention4j.server;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hyperattention4j.llm.model.Model;
import dev.hyperattention4j.llm.runtime.Generator;
import dev.hyperattention4j.llm.runtime.LlamaModel;
import dev.hyperattention4j.llm.runtime.LlamaSession;
import dev.hyperattention4j.llm.runtime.RowwiseAttention;
import dev.hyperattention4j.llm.runtime.AttentionPlan;
import dev.hyperattention4j.llm.runtime.Sampler;
import dev.hyperattention4j.runtime.WorkerPool;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The shared tiny models for server tests (skipped visibly when absent), and the runtime's own answers. */
final class TestModels {
    /** A ChatML-shaped template written for these tests. */
    static final String CHATML = "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' "
            + "+ message['content'] + '<|im_end|>\\n' }}{% endfor %}{% if add_generation_prompt %}"
            + "{{ '<|im_start|>assistant\\n' }}{% endif %}";

    private TestModels() {
    }

    static Path shared(String relative) {
        Path p = Path.of(System.getProperty("ha4j.shared", "../../shared")).toAbsolutePath().normalize()
                .resolve(relative);
        assumeTrue(Files.exists(p), () -> "skipped: shared data " + p + " is missing");
        return p;
    }

    /** The 656k model copied into {@code dir} with a chat template in its tokenizer_config.json. */
    static Path tinyWithTemplate(Path dir) throws IOException {
        Path src = shared("models/tinystories-656k");
        for (String f : new String[] {"model.safetensors", "config.json", "tokenizer.json"}) {
            Files.copy(src.resolve(f), dir.resolve(f));
        }
        ObjectMapper json = new ObjectMapper();
        ObjectNode cfg = (ObjectNode) json.readTree(src.resolve("tokenizer_config.json").toFile());
        cfg.put("chat_template", CHATML);
        json.writeValue(dir.resolve("tokenizer_config.json").toFile(), cfg);
        return dir;
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

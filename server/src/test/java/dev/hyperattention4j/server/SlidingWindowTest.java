package dev.hyperattention4j.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hyperattention4j.llm.model.Model;
import dev.hyperattention4j.llm.model.ModelLoader;
import dev.hyperattention4j.llm.testing.SharedData;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A model with a sliding window: exact requests are served, a HyperAttention request is a 400, not a 500. */
class SlidingWindowTest {
    @Test
    void hyperAttentionWithAWindowIsRefusedUpFront(@TempDir Path dir) throws Exception {
        Path src = SharedData.require("models/tinystories-656k");
        for (String f : new String[] {"model.safetensors", "tokenizer.json", "tokenizer_config.json"}) {
            Files.copy(src.resolve(f), dir.resolve(f));
        }
        ObjectNode cfg = (ObjectNode) Http.JSON.readTree(src.resolve("config.json").toFile());
        cfg.put("model_type", "mistral").put("sliding_window", 64);
        Http.JSON.writeValue(dir.resolve("config.json").toFile(), cfg);
        try (Model model = ModelLoader.open(dir);
             OpenAiServer server = OpenAiServer.start(model, new ServerOptions("127.0.0.1", 0, "tiny", 1, 128, 2, 1,
                     null, ServerOptions.DEFAULT_MAX_BODY))) {
            Http.Reply exact = Http.post(server, "/v1/completions", "{\"prompt\": \"Once\", \"max_tokens\": 4}");
            assertThat(exact.status()).as(exact.body()).isEqualTo(200);
            Http.Reply hyper = Http.post(server, "/v1/completions", "{\"prompt\": \"Once\", \"max_tokens\": 4, "
                    + "\"hyperattention\": {\"patch_last\": 1}}");
            ServerBehaviourTest.assertError(hyper, 400, "hyperattention.patch_last", "sliding window of 64 tokens");
        }
    }
}

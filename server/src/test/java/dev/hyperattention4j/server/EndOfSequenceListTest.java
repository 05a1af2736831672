package dev.hyperattention4j.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hyperattention4j.llm.model.Model;
import dev.hyperattention4j.llm.model.ModelLoader;
import dev.hyperattention4j.llm.runtime.Generator;
import dev.hyperattention4j.llm.testing.SharedData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A server slot stops at every end-of-sequence id the model's files list, not only the first (issue #25; Llama 3.1
 * lists three). The shared 656k model's config.json is rewritten with {@code eos_token_id: [2, X]} where X is the
 * third token greedy decoding produces: the server must answer with the first two tokens' text and finish "stop",
 * where the unchanged model goes on to the token limit.
 */
class EndOfSequenceListTest {
    private static final String PROMPT = "Once upon a time";

    @Test
    void everyListedEndOfSequenceIdStopsTheSlot(@TempDir Path dir) throws Exception {
        Path original = SharedData.require("models/tinystories-656k");
        Generator.Result free;
        try (Model m = ModelLoader.open(original)) {
            free = TestModels.greedyRun(m, m.tokenizer().encode(PROMPT, true), 12);
            assertThat(complete(m, 12).at("/choices/0/finish_reason").asText()).isEqualTo("length");
        }
        int[] tokens = free.newTokens();
        assertThat(tokens).hasSize(12);
        int stop = tokens[2];
        assertThat(Arrays.copyOf(tokens, 2)).doesNotContain(stop, 2);

        Path listed = Files.createDirectories(dir.resolve("listed"));
        for (String f : new String[] {"model.safetensors", "tokenizer.json", "tokenizer_config.json"}) {
            Files.copy(original.resolve(f), listed.resolve(f));
        }
        ObjectNode config = (ObjectNode) Http.JSON.readTree(original.resolve("config.json").toFile());
        config.putArray("eos_token_id").add(2).add(stop);
        Http.JSON.writeValue(listed.resolve("config.json").toFile(), config);
        try (Model m = ModelLoader.open(listed)) {
            assertThat(m.tokenizer().stopIds()).containsExactly(2, stop);
            JsonNode r = complete(m, 12);
            assertThat(r.at("/choices/0/finish_reason").asText()).isEqualTo("stop");
            assertThat(r.at("/usage/completion_tokens").asInt()).isEqualTo(2);
            assertThat(r.at("/choices/0/text").asText())
                    .isEqualTo(TestModels.greedy(m, m.tokenizer().encode(PROMPT, true), 2));
        }
    }

    private static JsonNode complete(Model m, int maxTokens) throws Exception {
        try (OpenAiServer server = OpenAiServer.start(m, new ServerOptions("127.0.0.1", 0, "tiny", 1, 128, 2, 1,
                null, ServerOptions.DEFAULT_MAX_BODY))) {
            Http.Reply r = Http.post(server, "/v1/completions", Http.JSON.createObjectNode().put("prompt", PROMPT)
                    .put("max_tokens", maxTokens).put("temperature", 0).toString());
            assertThat(r.status()).as(r.body()).isEqualTo(200);
            return r.json();
        }
    }
}

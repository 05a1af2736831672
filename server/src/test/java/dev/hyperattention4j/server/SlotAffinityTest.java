package dev.hyperattention4j.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hyperattention4j.llm.model.Model;
import dev.hyperattention4j.llm.model.ModelLoader;
import dev.hyperattention4j.llm.runtime.Generator;
import dev.hyperattention4j.llm.testing.SharedData;
import java.util.Arrays;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * Two conversations on two slots: each follow-up goes to the slot that holds its conversation's cache and reuses
 * exactly the tokens that cache shares with it (the first prompt and all generated tokens but the last, which was
 * sampled and never run), with the same answer as from an empty cache.
 */
class SlotAffinityTest {
    @Test
    void eachFollowUpFindsItsConversationsSlot() throws Exception {
        try (Model model = ModelLoader.open(SharedData.require("models/stories260K/stories260K.bin"));
             OpenAiServer server = OpenAiServer.start(model, new ServerOptions("127.0.0.1", 0, "tiny", 2, 512, 4, 1,
                     null, ServerOptions.DEFAULT_MAX_BODY))) {
            String[] firsts = {"Once upon a time there was a cat", "The little dog ran to the big tree"};
            String[] answers = new String[2];
            for (int i = 0; i < 2; i++) {
                answers[i] = complete(server, firsts[i], 10).at("/choices/0/text").asText();
            }
            for (int i = 0; i < 2; i++) {
                int[] first = model.tokenizer().encode(firsts[i], true);
                Generator.Result r1 = TestModels.greedyRun(model, first, 10);
                assertThat(r1.text()).isEqualTo(answers[i]);
                int[] cached = IntStream.concat(Arrays.stream(first),
                        Arrays.stream(r1.newTokens(), 0, r1.newTokens().length - 1)).toArray();
                String followUp = firsts[i] + answers[i] + " Then";
                int[] ids = model.tokenizer().encode(followUp, true);
                int shared = Math.min(Arrays.mismatch(cached, ids) < 0 ? cached.length
                        : Arrays.mismatch(cached, ids), ids.length - 1);
                assertThat(shared).as("the follow-up shares a real prefix").isGreaterThan(first.length / 2);
                JsonNode r = complete(server, followUp, 6);
                assertThat(r.at("/timings/cache_n").asInt()).as(followUp).isEqualTo(shared);
                assertThat(r.at("/choices/0/text").asText()).isEqualTo(TestModels.greedy(model, ids, 6));
            }
        }
    }

    private static JsonNode complete(OpenAiServer server, String prompt, int maxTokens) throws Exception {
        Http.Reply r = Http.post(server, "/v1/completions", Http.JSON.createObjectNode().put("prompt", prompt)
                .put("max_tokens", maxTokens).put("temperature", 0).toString());
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        return r.json();
    }
}

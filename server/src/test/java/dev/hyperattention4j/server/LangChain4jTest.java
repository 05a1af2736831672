package dev.hyperattention4j.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hyperattention4j.chat.ChatMessage;
import dev.hyperattention4j.chat.ChatTemplates;
import dev.hyperattention4j.llm.model.Model;
import dev.hyperattention4j.llm.model.ModelLoader;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.openai.OpenAiChatModel;
import dev.langchain4j.model.openai.OpenAiLanguageModel;
import dev.langchain4j.model.openai.OpenAiStreamingChatModel;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** LangChain4j's OpenAI module (chat, streaming chat, completions) against a server on a loopback port. */
class LangChain4jTest {
    @TempDir
    static Path dir;
    static Model model;
    static OpenAiServer server;
    static String base;

    @BeforeAll
    static void start() throws Exception {
        model = ModelLoader.open(TestModels.tinyWithTemplate(dir));
        server = OpenAiServer.start(model, new ServerOptions("127.0.0.1", 0, "tiny", 2, 256, 8, 1, "lc4j-key",
                ServerOptions.DEFAULT_MAX_BODY));
        base = "http://127.0.0.1:" + server.port() + "/v1";
    }

    @AfterAll
    static void stop() {
        TestModels.close(server, model);
    }

    private static String expectedChat(String user, int maxTokens) throws Exception {
        int[] ids = ChatTemplates.of(model).encode(model.tokenizer(), List.of(ChatMessage.user(user)));
        return TestModels.greedy(model, ids, maxTokens);
    }

    @Test
    void chat() throws Exception {
        OpenAiChatModel chat = OpenAiChatModel.builder().baseUrl(base).apiKey("lc4j-key").modelName("tiny")
                .temperature(0.0).maxTokens(24).maxRetries(0).build();
        assertThat(chat.chat("Tell me about a cat")).isEqualTo(expectedChat("Tell me about a cat", 24));
    }

    @Test
    void streamingChat() throws Exception {
        OpenAiStreamingChatModel chat = OpenAiStreamingChatModel.builder().baseUrl(base).apiKey("lc4j-key")
                .modelName("tiny").temperature(0.0).maxTokens(24).build();
        StringBuilder partial = new StringBuilder();
        CompletableFuture<ChatResponse> done = new CompletableFuture<>();
        chat.chat("Tell me about a dog", new StreamingChatResponseHandler() {
            @Override
            public void onPartialResponse(String text) {
                partial.append(text);
            }

            @Override
            public void onCompleteResponse(ChatResponse response) {
                done.complete(response);
            }

            @Override
            public void onError(Throwable error) {
                done.completeExceptionally(error);
            }
        });
        ChatResponse response = done.get(60, TimeUnit.SECONDS);
        String expected = expectedChat("Tell me about a dog", 24);
        assertThat(partial.toString()).isEqualTo(expected);
        assertThat(response.aiMessage().text()).isEqualTo(expected);
        assertThat(response.tokenUsage().outputTokenCount()).isEqualTo(24);
    }

    @Test
    void completion() {
        OpenAiLanguageModel lm = OpenAiLanguageModel.builder().baseUrl(base).apiKey("lc4j-key").modelName("tiny")
                .temperature(0.0).maxRetries(0).build();
        String text = lm.generate("Once upon a time").content();
        // no max_tokens sent: OpenAI's default of 16
        assertThat(text).isEqualTo(TestModels.greedy(model, model.tokenizer().encode("Once upon a time", true), 16));
    }

    @Test
    void wrongKeyFails() {
        OpenAiChatModel chat = OpenAiChatModel.builder().baseUrl(base).apiKey("nope").modelName("tiny")
                .maxRetries(0).build();
        assertThatThrownBy(() -> chat.chat("hi")).hasMessageContaining("invalid API key");
    }
}

package dev.hyperattention4j.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.errors.BadRequestException;
import com.openai.errors.NotFoundException;
import com.openai.errors.UnauthorizedException;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.completions.Completion;
import com.openai.models.completions.CompletionCreateParams;
import com.openai.models.models.Model;
import dev.hyperattention4j.chat.ChatMessage;
import dev.hyperattention4j.chat.ChatTemplates;
import dev.hyperattention4j.llm.model.ModelLoader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The official OpenAI Java SDK against a server on a loopback port, with an API key. */
class OpenAiSdkTest {
    static final String KEY = "test-key-123";
    static final String PROMPT = "Once upon a time";

    @TempDir
    static Path dir;
    static dev.hyperattention4j.llm.model.Model model;
    static OpenAiServer server;
    static OpenAIClient client;

    @BeforeAll
    static void start() throws Exception {
        model = ModelLoader.open(TestModels.tinyWithTemplate(dir));
        server = OpenAiServer.start(model, new ServerOptions("127.0.0.1", 0, "tiny", 2, 256, 8, 1, KEY,
                ServerOptions.DEFAULT_MAX_BODY));
        client = client(KEY);
    }

    static OpenAIClient client(String key) {
        return OpenAIOkHttpClient.builder().baseUrl("http://127.0.0.1:" + server.port() + "/v1").apiKey(key)
                .maxRetries(0).build();
    }

    @AfterAll
    static void stop() {
        if (client != null) {
            client.close();
        }
        TestModels.close(server, model);
    }

    @Test
    void completionEqualsTheRuntimesGreedyText() {
        Completion c = client.completions().create(CompletionCreateParams.builder().model("tiny").prompt(PROMPT)
                .maxTokens(30).temperature(0.0).build());
        String expected = TestModels.greedy(model, model.tokenizer().encode(PROMPT, true), 30);
        assertThat(c.choices().getFirst().text()).isEqualTo(expected).startsWith(", a little girl named Lily");
        assertThat(c.usage().orElseThrow().promptTokens()).isEqualTo(6);
        assertThat(c.usage().orElseThrow().completionTokens()).isEqualTo(30);
        assertThat(c.choices().getFirst().finishReason().asString()).isEqualTo("length");
    }

    @Test
    void streamedCompletionHasTheSameText() {
        StringBuilder text = new StringBuilder();
        try (StreamResponse<Completion> s = client.completions().createStreaming(CompletionCreateParams.builder()
                .model("tiny").prompt(PROMPT).maxTokens(30).temperature(0.0).build())) {
            s.stream().forEach(c -> c.choices().forEach(ch -> text.append(ch.text())));
        }
        assertThat(text.toString()).isEqualTo(TestModels.greedy(model, model.tokenizer().encode(PROMPT, true), 30));
    }

    @Test
    void chatUsesTheModelsTemplate() throws Exception {
        ChatCompletion c = client.chat().completions().create(ChatCompletionCreateParams.builder().model("tiny")
                .addUserMessage("Tell me a story").maxCompletionTokens(20).temperature(0.0).build());
        int[] ids = ChatTemplates.of(model).encode(model.tokenizer(), List.of(ChatMessage.user("Tell me a story")));
        assertThat(c.choices().getFirst().message().content()).hasValue(TestModels.greedy(model, ids, 20));
        assertThat(c.usage().orElseThrow().promptTokens()).isEqualTo(ids.length);

        StringBuilder streamed = new StringBuilder();
        try (StreamResponse<ChatCompletionChunk> s = client.chat().completions().createStreaming(
                ChatCompletionCreateParams.builder().model("tiny").addUserMessage("Tell me a story")
                        .maxCompletionTokens(20).temperature(0.0).build())) {
            s.stream().forEach(ch -> ch.choices().forEach(x -> x.delta().content().ifPresent(streamed::append)));
        }
        assertThat(streamed.toString()).isEqualTo(c.choices().getFirst().message().content().orElseThrow());
    }

    @Test
    void modelsListsTheServedModel() {
        List<Model> models = client.models().list().data();
        assertThat(models).extracting(Model::id).containsExactly("tiny");
    }

    @Test
    void errorsAreOpenAiErrors() {
        assertThatThrownBy(() -> client.completions().create(CompletionCreateParams.builder().model("gpt-9")
                .prompt(PROMPT).maxTokens(5).build()))
                .isInstanceOf(NotFoundException.class).hasMessageContaining("The model 'gpt-9' does not exist");
        assertThatThrownBy(() -> client.completions().create(CompletionCreateParams.builder().model("tiny")
                .prompt(PROMPT).maxTokens(5).n(2).build()))
                .isInstanceOf(BadRequestException.class).hasMessageContaining("only n = 1 is supported");
        assertThatThrownBy(() -> client.completions().create(CompletionCreateParams.builder().model("tiny")
                .prompt(PROMPT).maxTokens(100_000).build()))
                .isInstanceOf(BadRequestException.class).hasMessageContaining("exceeds the context of 256 tokens");
    }

    @Test
    void apiKeyIsRequiredExceptForHealth() throws Exception {
        OpenAIClient wrong = client("wrong");
        try {
            assertThatThrownBy(() -> wrong.models().list()).isInstanceOf(UnauthorizedException.class)
                    .hasMessageContaining("invalid API key");
        } finally {
            wrong.close();
        }
        HttpClient http = HttpClient.newHttpClient();
        String base = "http://127.0.0.1:" + server.port();
        HttpResponse<String> health = http.send(HttpRequest.newBuilder(URI.create(base + "/health")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(health.statusCode()).isEqualTo(200);
        HttpResponse<String> metrics = http.send(HttpRequest.newBuilder(URI.create(base + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(metrics.statusCode()).isEqualTo(401);
        assertThat(metrics.body()).contains("\"code\":\"invalid_api_key\"").contains("missing API key");
    }
}

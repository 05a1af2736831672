package dev.hyperattention4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hyperattention4j.llm.testing.ChatModels;
import dev.hyperattention4j.llm.testing.SharedData;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code generate --chat}: the model's own template, or a one-line error when it has none. */
class GenerateChatTest {
    @Test
    void aModelWithoutTemplateIsAOneLineError() {
        Path model = SharedData.require("models/tinystories-656k");
        CliRun r = CliRun.of("generate", model.toString(), "-p", "Hello", "-n", "4", "--chat");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err().strip()).isEqualTo("error: model model.safetensors has no chat template (no chat_template "
                + "in tokenizer_config.json and no chat_template.jinja beside it); use a plain prompt instead");
    }

    @Test
    void thePromptIsFormattedByTheTemplate(@TempDir Path dir) throws Exception {
        ChatModels.tinyWithTemplate(dir, ChatModels.CHATML);
        ObjectMapper json = new ObjectMapper();
        CliRun plain = CliRun.of("generate", dir.toString(), "-p", "Hello", "-n", "4", "--temperature", "0", "--json");
        CliRun chat = CliRun.of("generate", dir.toString(), "-p", "Hello", "-n", "4", "--temperature", "0", "--json",
                "--chat");
        assertThat(chat.exit()).as(chat.err()).isZero();
        JsonNode p = json.readTree(plain.out());
        JsonNode c = json.readTree(chat.out());
        try (var m = dev.hyperattention4j.llm.model.ModelLoader.open(dir)) {
            int expected = m.tokenizer().encode("<|im_start|>user\nHello<|im_end|>\n<|im_start|>assistant\n", true)
                    .length;
            assertThat(c.get("prompt_tokens").asInt()).isEqualTo(expected);
        }
        assertThat(c.get("prompt_tokens").asInt()).isGreaterThan(p.get("prompt_tokens").asInt());
    }
}

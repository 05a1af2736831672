package dev.hyperattention4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code generate --chat}: the model's own template, or a one-line error when it has none. */
class GenerateChatTest {
    static final String CHATML = "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' "
            + "+ message['content'] + '<|im_end|>\\n' }}{% endfor %}{% if add_generation_prompt %}"
            + "{{ '<|im_start|>assistant\\n' }}{% endif %}";

    @Test
    void aModelWithoutTemplateIsAOneLineError() {
        Path model = ModelCommandsTest.shared("models/tinystories-656k");
        CliRun r = CliRun.of("generate", model.toString(), "-p", "Hello", "-n", "4", "--chat");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err().strip()).isEqualTo("error: model model.safetensors has no chat template (no chat_template "
                + "in tokenizer_config.json and no chat_template.jinja beside it); use a plain prompt instead");
    }

    @Test
    void thePromptIsFormattedByTheTemplate(@TempDir Path dir) throws Exception {
        Path shared = ModelCommandsTest.shared("models/tinystories-656k");
        for (String f : new String[] {"model.safetensors", "config.json", "tokenizer.json"}) {
            Files.copy(shared.resolve(f), dir.resolve(f));
        }
        ObjectMapper json = new ObjectMapper();
        ObjectNode cfg = (ObjectNode) json.readTree(shared.resolve("tokenizer_config.json").toFile());
        cfg.put("chat_template", CHATML);
        json.writeValue(dir.resolve("tokenizer_config.json").toFile(), cfg);
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

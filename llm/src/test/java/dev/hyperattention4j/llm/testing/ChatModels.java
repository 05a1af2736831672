package dev.hyperattention4j.llm.testing;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** A real model with a chat template of the test's choosing, for the chat, server and CLI tests. */
public final class ChatModels {
    /** A ChatML-shaped template written for these tests. */
    public static final String CHATML = "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' "
            + "+ message['content'] + '<|im_end|>\\n' }}{% endfor %}{% if add_generation_prompt %}"
            + "{{ '<|im_start|>assistant\\n' }}{% endif %}";

    private ChatModels() {}

    /**
     * The shared tinystories-656k model copied into {@code dir}, with {@code template} as the chat_template of its
     * tokenizer_config.json (the test skips visibly when the shared data is absent). Returns {@code dir}.
     */
    public static Path tinyWithTemplate(Path dir, String template) throws IOException {
        Path shared = SharedData.tinystories656k();
        for (String f : new String[] {"model.safetensors", "config.json", "tokenizer.json"}) {
            Files.copy(shared.resolve(f), dir.resolve(f));
        }
        ObjectMapper json = new ObjectMapper();
        ObjectNode cfg = (ObjectNode) json.readTree(shared.resolve("tokenizer_config.json").toFile());
        cfg.put("chat_template", template);
        json.writeValue(dir.resolve("tokenizer_config.json").toFile(), cfg);
        return dir;
    }
}

package dev.hyperattention4j.chat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hyperattention4j.llm.format.gguf.GgufFile;
import dev.hyperattention4j.llm.format.gguf.GgufMetadata;
import dev.hyperattention4j.llm.format.io.MappedFile;
import dev.hyperattention4j.llm.model.LoadedModel;
import dev.hyperattention4j.llm.model.Model;
import dev.hyperattention4j.llm.tokenizer.BpeTokenizer;
import dev.hyperattention4j.llm.tokenizer.Tokenizer;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Finds a model's own chat template where the model's file format keeps it:
 * <ul>
 *   <li>GGUF: the metadata key {@code tokenizer.chat_template} (and {@code tokenizer.ggml.add_bos_token});</li>
 *   <li>safetensors: {@code chat_template} in {@code tokenizer_config.json} beside the weights (a string, or a
 *       list of named templates of which "default" is used), else a {@code chat_template.jinja} file there;</li>
 *   <li>llama2.c checkpoints have none.</li>
 * </ul>
 * BOS and EOS texts come from the tokenizer's vocabulary (or {@code tokenizer_config.json}'s {@code bos_token}).
 */
public final class ChatTemplates {
    static final String GGUF_KEY = "tokenizer.chat_template";
    static final String GGUF_ADD_BOS = "tokenizer.ggml.add_bos_token";

    private ChatTemplates() {
    }

    /**
     * The model's chat template.
     *
     * @throws ChatTemplateException with a message naming the model and where a template was looked for, when it
     *                               has none
     */
    public static ChatTemplate of(Model model) throws IOException {
        Path source = sourceOf(model);
        return find(source, model.config().format(), model.tokenizer()).orElseThrow(() ->
                new ChatTemplateException("model " + source.getFileName() + " has no chat template ("
                        + whereLooked(model.config().format()) + "); use a plain prompt instead"));
    }

    /** The model's chat template, or empty when it has none. */
    public static Optional<ChatTemplate> find(Model model) throws IOException {
        return find(sourceOf(model), model.config().format(), model.tokenizer());
    }

    static Optional<ChatTemplate> find(Path source, String format, Tokenizer tokenizer) throws IOException {
        return switch (format) {
            case "gguf" -> fromGguf(source, tokenizer);
            case "safetensors" -> fromTokenizerConfig(source.toAbsolutePath().getParent(), tokenizer);
            default -> Optional.empty();
        };
    }

    private static String whereLooked(String format) {
        return switch (format) {
            case "gguf" -> "the GGUF file has no " + GGUF_KEY + " key";
            case "safetensors" -> "no chat_template in tokenizer_config.json and no chat_template.jinja beside it";
            default -> "a " + format + " checkpoint carries no chat template";
        };
    }

    private static Path sourceOf(Model model) {
        if (model instanceof LoadedModel loaded) {
            return loaded.source();
        }
        throw new IllegalArgumentException("chat templates need a model opened from a file");
    }

    static Optional<ChatTemplate> fromGguf(Path file, Tokenizer tokenizer) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            GgufMetadata md = GgufFile.parse(file, MappedFile.map(file, arena)).metadata();
            if (!md.has(GGUF_KEY)) {
                return Optional.empty();
            }
            String template = md.string(GGUF_KEY);
            boolean addBos = md.bool(GGUF_ADD_BOS, tokenizer.bosId() >= 0);
            return Optional.of(new ChatTemplate(template, GGUF_KEY + " of " + file.getFileName(),
                    tokenText(tokenizer, tokenizer.bosId()), tokenText(tokenizer, tokenizer.eosId()), addBos));
        }
    }

    static Optional<ChatTemplate> fromTokenizerConfig(Path dir, Tokenizer tokenizer) throws IOException {
        Path config = dir.resolve("tokenizer_config.json");
        JsonNode root = null;
        if (Files.isRegularFile(config)) {
            try {
                root = new ObjectMapper().readTree(config.toFile());
            } catch (com.fasterxml.jackson.core.JacksonException e) {
                throw new ChatTemplateException(config.getFileName() + " of " + dir.getFileName()
                        + " is not valid JSON: " + e.getOriginalMessage());
            }
        }
        String template = null;
        String origin = null;
        if (root != null && root.hasNonNull("chat_template")) {
            template = templateText(root.get("chat_template"), config);
            origin = "tokenizer_config.json of " + dir.getFileName();
        } else if (Files.isRegularFile(dir.resolve("chat_template.jinja"))) {
            template = Files.readString(dir.resolve("chat_template.jinja"));
            origin = "chat_template.jinja of " + dir.getFileName();
        }
        if (template == null) {
            return Optional.empty();
        }
        String bos = root != null && root.has("bos_token") ? special(root.get("bos_token"))
                : tokenText(tokenizer, tokenizer.bosId());
        String eos = root != null && root.has("eos_token") ? special(root.get("eos_token"))
                : tokenText(tokenizer, tokenizer.eosId());
        boolean addBos = root != null && root.has("add_bos_token") ? root.get("add_bos_token").asBoolean()
                : tokenizer.bosId() >= 0;
        return Optional.of(new ChatTemplate(template, origin, bos, eos, addBos));
    }

    /** A string, or Hugging Face's list of {@code {name, template}} from which "default" is taken. */
    private static String templateText(JsonNode node, Path config) {
        if (node.isTextual()) {
            return node.asText();
        }
        if (node.isArray()) {
            List<String> names = new ArrayList<>();
            for (JsonNode entry : node) {
                String name = entry.path("name").asText("");
                if (name.equals("default") && entry.path("template").isTextual()) {
                    return entry.get("template").asText();
                }
                names.add(name);
            }
            throw new ChatTemplateException(config + ": chat_template lists " + names + " but no \"default\"");
        }
        throw new ChatTemplateException(config + ": chat_template must be a string or a list of named templates, got "
                + node.getNodeType());
    }

    /** {@code "bos_token": "<s>"} or {@code "bos_token": {"content": "<s>", ...}}; null stays empty. */
    private static String special(JsonNode node) {
        if (node == null || node.isNull()) {
            return "";
        }
        return node.isTextual() ? node.asText() : node.path("content").asText("");
    }

    private static String tokenText(Tokenizer tokenizer, int id) {
        if (id < 0 || id >= tokenizer.vocabSize() || !(tokenizer instanceof BpeTokenizer bpe)) {
            return "";
        }
        return bpe.piece(id);
    }
}

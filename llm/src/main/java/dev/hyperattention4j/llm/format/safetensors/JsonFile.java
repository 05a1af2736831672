package dev.hyperattention4j.llm.format.safetensors;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hyperattention4j.llm.format.io.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The JSON files beside safetensors weights (config.json, the shard index), read with a size check first. */
final class JsonFile {
    private JsonFile() {}

    /**
     * The parsed content of {@code file} (null for an empty file); a file over {@code maxBytes} or one that is not
     * JSON is a {@link SafetensorsFormatException} naming {@code field}.
     */
    static JsonNode read(Path file, String field, long maxBytes) throws IOException {
        if (Files.size(file) > maxBytes) {
            throw new SafetensorsFormatException(file, field, "is implausibly large", -1);
        }
        try {
            return Json.MAPPER.readTree(file.toFile());
        } catch (IOException e) {
            throw new SafetensorsFormatException(file, field, "is not valid JSON: " + e.getMessage(), -1);
        }
    }
}

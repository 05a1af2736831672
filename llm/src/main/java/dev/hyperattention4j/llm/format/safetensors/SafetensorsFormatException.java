package dev.hyperattention4j.llm.format.safetensors;

import dev.hyperattention4j.llm.model.ModelFormatException;
import java.nio.file.Path;

/** A safetensors file, shard index or config.json that cannot be used. */
public class SafetensorsFormatException extends ModelFormatException {
    private static final long serialVersionUID = 1L;

    public SafetensorsFormatException(Path file, String field, String problem, long offset) {
        super(file, field, problem, offset);
    }
}

package dev.hyperattention4j.llm.format.gguf;

import dev.hyperattention4j.llm.model.ModelFormatException;
import java.nio.file.Path;

/** A GGUF file that is truncated, lies about counts or offsets, or uses types or keys we cannot serve. */
public class GgufFormatException extends ModelFormatException {
    private static final long serialVersionUID = 1L;

    public GgufFormatException(Path file, String field, String problem, long offset) {
        super(file, field, problem, offset);
    }
}

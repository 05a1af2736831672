package dev.hyperattention4j.llm.format.llama2c;

import dev.hyperattention4j.llm.model.ModelFormatException;
import java.nio.file.Path;

/** A llama2.c checkpoint whose header is implausible or whose size does not match its header. */
public class Llama2cFormatException extends ModelFormatException {
    private static final long serialVersionUID = 1L;

    public Llama2cFormatException(Path file, String field, String problem, long offset) {
        super(file, field, problem, offset);
    }
}

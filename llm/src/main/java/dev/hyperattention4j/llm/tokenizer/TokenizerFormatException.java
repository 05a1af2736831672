package dev.hyperattention4j.llm.tokenizer;

import dev.hyperattention4j.llm.model.ModelFormatException;
import java.nio.file.Path;

/** A tokenizer file (tokenizer.json, llama2.c tokenizer.bin, GGUF tokenizer keys) that is missing or unusable. */
public class TokenizerFormatException extends ModelFormatException {
    private static final long serialVersionUID = 1L;

    public TokenizerFormatException(Path file, String field, String problem, long offset) {
        super(file, field, problem, offset);
    }

    public TokenizerFormatException(Path file, String field, String problem) {
        super(file, field, problem, -1);
    }
}

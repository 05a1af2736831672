package dev.hyperattention4j.llm.model;

import dev.hyperattention4j.llm.format.io.Printable;
import java.io.IOException;
import java.nio.file.Path;

/**
 * A model or tokenizer file that cannot be read: truncated, wrong magic, offsets or sizes past the end of the file,
 * absurd counts, unknown types, inconsistent dimensions. Each format has its own subclass
 * ({@code GgufFormatException}, {@code SafetensorsFormatException}, {@code Llama2cFormatException},
 * {@code TokenizerFormatException}); the message always names the file, the field and the problem, plus the byte
 * offset when the problem sits at a known place in a binary file.
 */
public class ModelFormatException extends IOException {
    private static final long serialVersionUID = 1L;

    private final transient Path file;
    private final String field;
    private final long offset;

    /**
     * @param file    the offending file (may be null for in-memory data)
     * @param field   the header field, metadata key or tensor name concerned
     * @param problem what is wrong, in words
     * @param offset  byte offset of the field, or -1 when it does not apply
     */
    public ModelFormatException(Path file, String field, String problem, long offset) {
        super(format(file, field, problem, offset));
        this.file = file;
        this.field = field;
        this.offset = offset;
    }

    public ModelFormatException(Path file, String field, String problem, long offset, Throwable cause) {
        this(file, field, problem, offset);
        initCause(cause);
    }

    private static String format(Path file, String field, String problem, long offset) {
        // names and values from the file may hold control characters: one printable line whatever they are
        return Printable.escape((file == null ? "<memory>" : file.toString()) + ": " + field + ": " + problem)
                + (offset >= 0 ? " (at byte offset " + offset + ")" : "");
    }

    public Path file() { return file; }

    public String field() { return field; }

    /** Byte offset of the problem, or -1. */
    public long offset() { return offset; }
}

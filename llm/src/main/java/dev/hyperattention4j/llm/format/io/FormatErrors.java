package dev.hyperattention4j.llm.format.io;

import dev.hyperattention4j.llm.model.ModelFormatException;

/** Creates the format-specific exception, so shared readers report errors in the caller's exception type. */
@FunctionalInterface
public interface FormatErrors {
    ModelFormatException error(String field, String problem, long offset);

    default ModelFormatException error(String field, String problem) { return error(field, problem, -1); }
}

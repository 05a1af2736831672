package dev.hyperattention4j.llm.format.gguf;

import dev.hyperattention4j.llm.model.LoadedModel;
import dev.hyperattention4j.llm.model.ModelFormatException;
import java.io.IOException;
import java.nio.file.Path;

/** Placeholder until the GGUF reader lands. */
public final class GgufLoader {
    private GgufLoader() {}

    public static LoadedModel open(Path file) throws IOException {
        throw new ModelFormatException(file, "format", "GGUF support is not implemented yet", 0);
    }
}

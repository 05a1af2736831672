package dev.hyperattention4j.cli;

import dev.hyperattention4j.llm.model.Model;
import dev.hyperattention4j.llm.model.ModelLoader;
import java.io.IOException;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The {@code --tokenizer} option of every command that opens a model (a picocli mixin). */
final class TokenizerOption {
    @Option(names = "--tokenizer", paramLabel = "FILE",
            description = "Tokenizer file for llama2.c checkpoints (default: tokenizer.bin / tok*.bin beside it).")
    Path file;

    /** Opens {@code model} with this tokenizer (or the one found beside it). */
    Model open(Path model) throws IOException {
        return ModelLoader.open(model, file);
    }
}

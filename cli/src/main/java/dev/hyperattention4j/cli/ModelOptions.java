package dev.hyperattention4j.cli;

import dev.hyperattention4j.llm.model.Model;
import dev.hyperattention4j.llm.model.ModelLoader;
import dev.hyperattention4j.runtime.WorkerPool;
import java.io.IOException;
import java.nio.file.Path;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** Options shared by the model commands: the model file, its tokenizer and the thread count. */
final class ModelOptions {
    @Parameters(index = "0", paramLabel = "MODEL",
            description = "Model file or folder: GGUF, Hugging Face safetensors + config.json, or llama2.c .bin.")
    Path model;

    @Option(names = "--tokenizer", paramLabel = "FILE",
            description = "Tokenizer file for llama2.c checkpoints (default: tokenizer.bin / tok*.bin beside it).")
    Path tokenizer;

    @Option(names = {"-t", "--threads"}, paramLabel = "N",
            description = "Worker threads (default: available processors = ${DEFAULT-VALUE}).")
    int threads = Runtime.getRuntime().availableProcessors();

    Model open() throws IOException {
        return ModelLoader.open(model, tokenizer);
    }

    WorkerPool pool() {
        if (threads < 1) {
            throw new IllegalArgumentException("--threads must be >= 1, got " + threads);
        }
        return new WorkerPool(threads);
    }

    String modelName() {
        Path name = model.toAbsolutePath().normalize().getFileName();
        return name == null ? model.toString() : name.toString();
    }
}

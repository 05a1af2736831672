package dev.hyperattention4j.cli;

import dev.hyperattention4j.llm.model.Model;
import dev.hyperattention4j.llm.model.ModelConfig;
import dev.hyperattention4j.llm.model.WeightScanner;
import dev.hyperattention4j.llm.runtime.LlamaSession;
import dev.hyperattention4j.runtime.HeapBudget;
import dev.hyperattention4j.runtime.WorkerPool;
import java.io.IOException;
import java.nio.file.Path;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** Options shared by the model commands: the model file, its tokenizer, the thread count and the weight check. */
final class ModelOptions {
    @Parameters(index = "0", paramLabel = "MODEL",
            description = "Model file or folder: GGUF, Hugging Face safetensors + config.json, or llama2.c .bin.")
    Path model;

    @Mixin
    TokenizerOption tokenizer = new TokenizerOption();

    @Range(min = 1, max = 1024)
    @Option(names = {"-t", "--threads"}, paramLabel = "N",
            description = "Worker threads (default: available processors = ${DEFAULT-VALUE}).")
    int threads = Runtime.getRuntime().availableProcessors();

    @Option(names = "--check-weights", description = "Read every weight once before running and stop with an "
            + "error naming the tensor and element at the first NaN or infinity (costs one pass over the file).")
    boolean checkWeights;

    /** Opens the model; with --check-weights scans it too (one line on stderr), closing it again if it is bad. */
    Model open() throws IOException {
        Model m = tokenizer.open(model);
        if (checkWeights) {
            try (WorkerPool scanPool = pool()) {
                System.err.println(describe(m.checkWeights(scanPool)));
            } catch (IOException | RuntimeException e) {
                m.close();
                throw e;
            }
        }
        return m;
    }

    /** "weights: 57 tensors, 260,000 values, all finite (checked in 1.2 ms, 0.8 GB/s)". */
    static String describe(WeightScanner.Report r) {
        return String.format("weights: %d tensors, %,d values, all finite (checked in %.1f ms, %.2f GB/s)",
                r.tensors(), r.elements(), r.nanos() / 1e6, r.bytes() / (double) Math.max(1, r.nanos()));
    }

    /**
     * Refuses, before any work, a context the heap cannot hold, naming the option that asked for it: the KV cache
     * and buffers of a session ({@link LlamaSession#bytesFor}).
     */
    void requireContext(ModelConfig c, long context, String option) {
        HeapBudget.require(LlamaSession.bytesFor(c, context, threads), "a context of " + context
                + " tokens (KV cache and buffers of " + c.layers() + " layers)", "lower " + option);
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

package dev.hyperattention4j.cli;

import dev.hyperattention4j.llm.model.DType;
import dev.hyperattention4j.llm.model.Model;
import dev.hyperattention4j.llm.quantize.ModelQuantizer;
import dev.hyperattention4j.llm.quantize.QuantPreset;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code ha4j quantize IN OUT --type T}: converts a model the runtime reads into a GGUF file of a quantisation
 * preset, with the metadata and tokenizer keys the GGUF ecosystem expects (see docs/QUANTIZATION.md). Progress
 * and a summary (tensors per type, sizes, time) go to stderr; errors are one line with exit code 1.
 */
@Command(name = "quantize", mixinStandardHelpOptions = true, version = "hyperattention4j 0.1.0",
        description = "Convert a model (GGUF, safetensors + config.json, llama2.c) to a GGUF file of the given "
                + "quantisation type.")
public final class QuantizeCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "IN", description = "model file or folder to read")
    Path in;

    @Parameters(index = "1", paramLabel = "OUT", description = "GGUF file to write (replaced if it exists)")
    Path out;

    @Option(names = "--type", required = true, paramLabel = "T",
            description = "F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q2_K, Q3_K_S, Q3_K_M, Q3_K_L, Q4_K_S, "
                    + "Q4_K_M, Q5_K_S, Q5_K_M or Q6_K (presets as the GGUF ecosystem's quantiser defines them)")
    String type;

    @Mixin
    TokenizerOption tokenizer = new TokenizerOption();

    @Override
    public Integer call() {
        try {
            QuantPreset preset = QuantPreset.parse(type);
            if (Files.exists(out) && Files.isSameFile(in, out)) {
                throw new IllegalArgumentException("OUT " + out + " is the input file; write to another file");
            }
            long t0 = System.nanoTime();
            Map<DType, Integer> perType = new TreeMap<>();
            try (Model m = tokenizer.open(in)) {
                for (ModelQuantizer.Entry e : ModelQuantizer.quantize(m, preset, out,
                        (done, total, name) -> System.err.printf("\r[%d/%d] %-40s", done, total, name))) {
                    perType.merge(e.type(), 1, Integer::sum);
                }
            }
            System.err.println();
            System.err.printf("wrote %s: %s, %,d bytes (input %,d bytes), tensors %s, %.1f s%n", out, preset,
                    Files.size(out), size(in), perType, (System.nanoTime() - t0) / 1e9);
            return 0;
        } catch (IOException | RuntimeException e) {
            System.err.println();
            System.err.println("error: " + (e.getMessage() != null ? e.getMessage() : e.toString()));
            return 1;
        }
    }

    private static long size(Path p) throws IOException {
        if (!Files.isDirectory(p)) {
            return Files.size(p);
        }
        try (var files = Files.list(p)) {
            return files.filter(Files::isRegularFile).mapToLong(f -> f.toFile().length()).sum();
        }
    }
}

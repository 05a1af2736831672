package dev.hyperattention4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.hyperattention4j.llm.format.io.Printable;
import dev.hyperattention4j.llm.model.LoadedModel;
import dev.hyperattention4j.llm.model.Model;
import dev.hyperattention4j.llm.model.ModelConfig;
import dev.hyperattention4j.llm.model.NonFiniteWeightException;
import dev.hyperattention4j.llm.model.WeightScanner;
import dev.hyperattention4j.llm.model.WeightTensor;
import dev.hyperattention4j.llm.tokenizer.BpeTokenizer;
import dev.hyperattention4j.llm.tokenizer.Tokenizer;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code ha4j inspect MODEL}: what a model file holds (format, architecture, dimensions, tensor table, tokenizer),
 * how long opening it takes, and whether every weight is finite (one scan, timed); optionally how fast its
 * tokenizer encodes a text file. Results go to stdout (a table, or one JSON document with {@code --json}); errors,
 * including a NaN or infinite weight (after the report), go to stderr with exit code 1.
 */
@Command(name = "inspect", mixinStandardHelpOptions = true, version = "hyperattention4j 0.1.0",
        description = "Show a model file's format, architecture, dimensions, tensors and tokenizer "
                + "(GGUF, safetensors + config.json, llama2.c).")
public final class InspectCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "MODEL", description = "model file or directory (format detected by content)")
    Path model;

    @Mixin
    TokenizerOption tokenizer = new TokenizerOption();

    @Option(names = "--json", description = "print one JSON document instead of tables")
    boolean json;

    @Option(names = "--metadata", description = "also list the file's metadata (GGUF keys, config.json fields)")
    boolean metadata;

    @Option(names = "--tokenize", paramLabel = "FILE", description = "encode this UTF-8 text file and report "
            + "tokens per second (single thread)")
    Path tokenizeFile;

    @Range(min = 1, max = 1_000_000)
    @Option(names = "--repeat", paramLabel = "N", defaultValue = "3",
            description = "times to open the model and to tokenize, reporting each run (default: ${DEFAULT-VALUE})")
    int repeat;

    @Override
    public Integer call() {
        PrintStream out = System.out;
        try {
            List<Double> openMs = new ArrayList<>();
            List<Double> openCpuMs = new ArrayList<>();
            ThreadMXBean threads = ManagementFactory.getThreadMXBean();
            Map<String, Object> report = null;
            for (int run = 0; run < Math.max(1, repeat); run++) {
                long cpu0 = threads.getCurrentThreadCpuTime();
                long t0 = System.nanoTime();
                try (Model m = tokenizer.open(model)) {
                    openMs.add((System.nanoTime() - t0) / 1e6);
                    openCpuMs.add((threads.getCurrentThreadCpuTime() - cpu0) / 1e6);
                    if (report == null) {
                        report = describe(m);
                        report.put("weights_check", checkWeights(m));
                        if (tokenizeFile != null) {
                            report.put("tokenize", tokenize(m.tokenizer()));
                        }
                    }
                }
            }
            report.put("open_ms", openMs);
            report.put("open_cpu_ms", openCpuMs);
            if (json) {
                out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(report));
            } else {
                printTables(out, report);
            }
            Map<?, ?> check = (Map<?, ?>) report.get("weights_check");
            if (!Boolean.TRUE.equals(check.get("finite"))) {
                System.err.println("error: " + check.get("error"));
                return 1;
            }
            return 0;
        } catch (IOException | RuntimeException e) {
            System.err.println("error: " + (e.getMessage() != null ? e.getMessage() : e.toString()));
            return 1;
        }
    }

    private Map<String, Object> describe(Model m) {
        ModelConfig c = m.config();
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("path", model.toString());
        r.put("format", c.format());
        r.put("architecture", c.architecture());
        Map<String, Object> dims = new LinkedHashMap<>();
        dims.put("dim", c.dim());
        dims.put("hidden_dim", c.hiddenDim());
        dims.put("layers", c.layers());
        dims.put("heads", c.heads());
        dims.put("kv_heads", c.kvHeads());
        dims.put("head_dim", c.headDim());
        dims.put("vocab_size", c.vocabSize());
        dims.put("context_length", c.contextLength());
        dims.put("norm_eps", c.normEps());
        dims.put("rope_theta", c.ropeTheta());
        dims.put("rope_style", c.ropeStyle().name());
        dims.put("rotary_dims", c.rotaryDims());
        dims.put("rope_scaling", c.ropeScaling().describe());
        dims.put("sliding_window", c.slidingWindow());
        dims.put("block", c.block().describe());
        dims.put("tied_embeddings", c.tiedEmbeddings());
        dims.put("attention_bias", c.attentionBias());
        dims.put("bos_id", c.bosId());
        dims.put("eos_id", c.eosId());
        r.put("config", dims);
        r.put("chat_template", chatTemplate(m));
        Tokenizer tok = m.tokenizer();
        r.put("tokenizer", Map.of("kind", tok.kind(), "vocab_size", tok.vocabSize(), "bos_id", tok.bosId(),
                "eos_id", tok.eosId()));
        List<Map<String, Object>> tensors = new ArrayList<>();
        long totalBytes = 0;
        long totalParams = 0;
        for (WeightTensor t : m.tensors()) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("name", Printable.escape(t.name()));
            row.put("type", t.type().name());
            row.put("shape", t.shape());
            row.put("bytes", t.data().byteSize());
            tensors.add(row);
            totalBytes += t.data().byteSize();
            totalParams += t.elementCount();
        }
        r.put("tensor_count", tensors.size());
        r.put("parameters", totalParams);
        r.put("tensor_bytes", totalBytes);
        r.put("tensors", tensors);
        if (metadata && m instanceof LoadedModel lm) {
            r.put("metadata", lm.metadata());
        }
        return r;
    }

    /** Whether the model carries a chat template, or why it could not be read. */
    private static String chatTemplate(Model m) {
        try {
            return dev.hyperattention4j.chat.ChatTemplates.find(m).isPresent() ? "present" : "none";
        } catch (IOException | RuntimeException e) {
            return "unreadable: " + e.getMessage();
        }
    }

    /** The weight scan as a report entry: finite or not, its time, and for a bad weight where it is. */
    private static Map<String, Object> checkWeights(Model m) {
        Map<String, Object> r = new LinkedHashMap<>();
        long t0 = System.nanoTime();
        try {
            WeightScanner.Report s = m.checkWeights();
            r.put("finite", true);
            r.put("tensors", s.tensors());
            r.put("values", s.elements());
            r.put("bytes", s.bytes());
        } catch (NonFiniteWeightException e) {
            r.put("finite", false);
            r.put("tensor", e.field());
            r.put("type", e.type().name());
            r.put("element", e.element());
            r.put("error", e.getMessage());
        }
        r.put("ms", (System.nanoTime() - t0) / 1e6);
        return r;
    }

    private Map<String, Object> tokenize(Tokenizer tok) throws IOException {
        String text = TextFile.read(tokenizeFile, "--tokenize");
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("file", tokenizeFile.toString());
        r.put("chars", text.length());
        List<Double> seconds = new ArrayList<>();
        List<Double> cpuSeconds = new ArrayList<>();
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        int tokens = 0;
        for (int run = 0; run < Math.max(1, repeat); run++) {
            long cpu0 = threads.getCurrentThreadCpuTime();
            long t0 = System.nanoTime();
            int[] ids = tok.encode(text, true);
            seconds.add((System.nanoTime() - t0) / 1e9);
            // CPU time of this thread, so a busy shared machine does not inflate the figure
            cpuSeconds.add((threads.getCurrentThreadCpuTime() - cpu0) / 1e9);
            tokens = ids.length;
            if (run == 0) {
                r.put("round_trip_equal", tok.decode(ids).equals(text));
                if (tok instanceof BpeTokenizer bpe) {
                    // characters the vocabulary cannot represent (no token, no byte fallback) become <unk>
                    r.put("unrepresentable_chars", text.codePoints().filter(cp -> !bpe.canEncode(cp)).count());
                }
            }
        }
        r.put("tokens", tokens);
        r.put("seconds", seconds);
        r.put("cpu_seconds", cpuSeconds);
        double bestCpu = cpuSeconds.stream().mapToDouble(Double::doubleValue).min().orElse(Double.NaN);
        r.put("tokens_per_cpu_second_best", Math.round(tokens / bestCpu));
        double best = seconds.stream().mapToDouble(Double::doubleValue).min().orElse(Double.NaN);
        r.put("tokens_per_second_best", Math.round(tokens / best));
        r.put("tokens_per_second_first", Math.round(tokens / seconds.getFirst()));
        return r;
    }

    @SuppressWarnings("unchecked")
    private static void printTables(PrintStream out, Map<String, Object> r) {
        out.printf("model         %s%n", r.get("path"));
        out.printf("format        %s (%s)%n", r.get("format"), r.get("architecture"));
        Map<String, Object> c = (Map<String, Object>) r.get("config");
        out.printf("dimensions    dim %s, ffn %s, layers %s, heads %s / kv %s, head_dim %s, vocab %s, context %s%n",
                c.get("dim"), c.get("hidden_dim"), c.get("layers"), c.get("heads"), c.get("kv_heads"),
                c.get("head_dim"), c.get("vocab_size"), c.get("context_length"));
        out.printf("norm / rope   eps %s, theta %s, %s; tied embeddings %s, attention bias %s, bos %s, eos %s%n",
                c.get("norm_eps"), c.get("rope_theta"), c.get("rope_style"), c.get("tied_embeddings"),
                c.get("attention_bias"), c.get("bos_id"), c.get("eos_id"));
        out.printf("rotary        %s of %s head dims; scaling %s; sliding window %s%n", c.get("rotary_dims"),
                c.get("head_dim"), c.get("rope_scaling"), ((Integer) c.get("sliding_window")) == 0 ? "none"
                        : c.get("sliding_window") + " tokens");
        out.printf("block         %s%n", c.get("block"));
        out.printf("chat template %s%n", r.get("chat_template"));
        Map<String, Object> t = (Map<String, Object>) r.get("tokenizer");
        out.printf("tokenizer     %s, %s tokens%n", t.get("kind"), t.get("vocab_size"));
        out.printf("open (ms)     wall %s, cpu %s (first run includes JVM class loading)%n",
                format((List<Double>) r.get("open_ms"), "%.1f"), format((List<Double>) r.get("open_cpu_ms"), "%.1f"));
        out.printf("tensors       %s, %,d parameters, %,d bytes%n", r.get("tensor_count"), r.get("parameters"),
                r.get("tensor_bytes"));
        Map<String, Object> w = (Map<String, Object>) r.get("weights_check");
        out.printf("weights       %s (checked in %.1f ms)%n%n", Boolean.TRUE.equals(w.get("finite"))
                ? "all finite" : "NOT FINITE: " + w.get("type") + " tensor " + w.get("tensor") + ", element "
                + w.get("element"), (Double) w.get("ms"));
        List<Map<String, Object>> tensors = (List<Map<String, Object>>) r.get("tensors");
        int width = Math.max(4, tensors.stream().mapToInt(x -> ((String) x.get("name")).length()).max().orElse(4));
        out.printf("%-" + width + "s  %-5s  %-16s  %12s%n", "name", "type", "shape", "bytes");
        for (Map<String, Object> row : tensors) {
            out.printf("%-" + width + "s  %-5s  %-16s  %,12d%n", row.get("name"), row.get("type"),
                    Arrays.toString((long[]) row.get("shape")), (Long) row.get("bytes"));
        }
        if (r.containsKey("metadata")) {
            out.println();
            ((Map<String, Object>) r.get("metadata")).forEach((k, v) -> out.printf("%-40s %s%n", Printable.escape(k),
                    Printable.escape(String.valueOf(v)))); // keys and values from the file: no raw control characters
        }
        if (r.containsKey("tokenize")) {
            Map<String, Object> k = (Map<String, Object>) r.get("tokenize");
            out.printf("%ntokenize      %s: %,d chars -> %,d tokens%n", k.get("file"), k.get("chars"),
                    k.get("tokens"));
            out.printf("  wall s      %s: best %,d tokens/s (first run %,d)%n",
                    format((List<Double>) k.get("seconds"), "%.3f"), k.get("tokens_per_second_best"),
                    k.get("tokens_per_second_first"));
            out.printf("  cpu s       %s: best %,d tokens per CPU second%n",
                    format((List<Double>) k.get("cpu_seconds"), "%.3f"), k.get("tokens_per_cpu_second_best"));
            out.printf("  round trip  decode(encode(text)) == text: %s%s%n", k.get("round_trip_equal"),
                    k.containsKey("unrepresentable_chars") ? " (" + k.get("unrepresentable_chars")
                            + " characters outside the vocabulary)" : "");
        }
    }

    private static String format(List<Double> values, String pattern) {
        return values.stream().map(v -> String.format(pattern, v)).toList().toString();
    }
}

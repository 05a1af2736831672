package dev.hyperattention4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hyperattention4j.llm.testing.SharedData;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

/** The model commands end to end on the shared models (skipped visibly when the shared folder is absent). */
class ModelCommandsTest {

    record Run(int exit, String out) {
    }

    static Run run(String... args) {
        PrintStream old = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
            int exit = Main.commandLine(args).execute(args);   // as main() does: only the named subcommand
            return new Run(exit, buf.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(old);
        }
    }

    /** main() registers a single subcommand by name: every subcommand but help must be reachable that way. */
    @Test
    void everySubcommandCanBeRegisteredAlone() {
        java.util.Set<String> all = new java.util.TreeSet<>(new CommandLine(new Main()).getSubcommands().keySet());
        all.remove("help");
        assertThat(new java.util.TreeSet<>(Main.singleSubcommands())).isEqualTo(all);
        CommandLine one = Main.commandLine("generate", "--help");
        assertThat(one.getSubcommands()).containsOnlyKeys("generate");
        assertThat(Main.commandLine("--help").getSubcommands()).containsKeys("generate", "ppl", "help");
    }

    @ParameterizedTest
    @ValueSource(strings = {"ppl", "generate", "bench-model"})
    void helpNamesTheSharedOptions(String command) {
        CommandLine cl = new CommandLine(new Main());
        String usage = cl.getSubcommands().get(command).getUsageMessage();
        assertThat(usage).contains("--threads", "--patch-last", "--hyper-b", "--hyper-m", "--hyper-r",
                "--hyper-min-seq-len", "--hyper-seed", "--json", "--check-weights");
    }

    /** The per-story protocol through the CLI reproduces the README's golden value for the 656k model (see GoldenValuesTest). */
    @Test
    void pplStoriesJson() throws Exception {
        Path model = SharedData.require("models/tinystories-656k");
        Path text = SharedData.require("texts/tinystories_sample.txt");
        Run r = run("ppl", model.toString(), "-f", text.toString(), "--stories", "--json", "-t", "2");
        assertThat(r.exit()).isZero();
        JsonNode doc = new ObjectMapper().readTree(r.out());
        assertThat(doc.get("protocol").asText()).startsWith("per story")
                .contains("dummy prefix as its own token").contains("each line encoded on its own");
        JsonNode run = doc.get("runs").get(0);
        assertThat(run.get("perplexity").asDouble()).isCloseTo(20.1518, org.assertj.core.data.Percentage.withPercentage(0.5));
        assertThat(run.get("tokens_scored").asLong()).isEqualTo(866L);
        assertThat(run.get("standard_error").asDouble()).isPositive();
    }

    /** Windows protocol: stated in the output, two windows of 128 tokens score 2 · 63 tokens. */
    @Test
    void pplWindowsText() {
        Path model = SharedData.require("models/stories260K/stories260K.bin");
        Path text = SharedData.require("texts/alice.txt");
        Run r = run("ppl", model.toString(), "-f", text.toString(), "-c", "128", "--chunks", "2", "-t", "1");
        assertThat(r.exit()).isZero();
        assertThat(r.out()).contains("llama.cpp: non-overlapping windows of 128 tokens", "second half scored",
                "tokens scored 126", "exact");
    }

    @Test
    void generateGreedyStreamsTheGoldenContinuation() {
        Path model = SharedData.require("models/tinystories-656k");
        Run r = run("generate", model.toString(), "-p", "Once upon a time", "-n", "40", "--temperature", "0");
        assertThat(r.exit()).isZero();
        assertThat(r.out()).startsWith("Once upon a time, a little girl named Lily lived in a small house with her "
                + "mom, dad, and her dog, Spot, Spot, loved to play all day.");
    }

    /**
     * The warm-up (throwaway decode steps before the generation) changes nothing in what is generated: the same seed
     * gives the same text with and without it, at a temperature above 0 (the sampler's random stream untouched).
     */
    @Test
    void warmUpLeavesTheGeneratedTextAsItWas() throws Exception {
        Path model = SharedData.require("models/stories260K/stories260K.bin");
        String[] args = {"generate", model.toString(), "-p", "Once upon a time", "-n", "60", "--temp", "0.8",
                "--seed", "7", "--json"};
        JsonNode noWarm = new ObjectMapper().readTree(run(args).out());
        String[] withWarmup = java.util.Arrays.copyOf(args, args.length + 1);
        withWarmup[args.length] = "--warmup";
        JsonNode warm = new ObjectMapper().readTree(run(withWarmup).out());
        assertThat(warm.get("text").asText()).isNotEmpty().isEqualTo(noWarm.get("text").asText());
        assertThat(warm.get("warmup_decode_steps").asInt()).isPositive();
        assertThat(warm.get("warmup_seconds").asDouble()).isPositive();
        assertThat(noWarm.get("warmup_seconds").isNull()).isTrue();
    }

    /** The summary names the warm-up, and a rate is marked as including the JIT unless a warm-up settled first. */
    @Test
    void summaryTellsWhetherTheRateIsSteady() {
        var r = new dev.hyperattention4j.llm.runtime.Generator.Result(new int[] {1}, new int[] {5, 6, 7}, "abc", 0.001,
                0.002, "token limit", false);
        var settled = new dev.hyperattention4j.llm.runtime.Generator.WarmUp(1.25, 640, true, true);
        var unsettled = new dev.hyperattention4j.llm.runtime.Generator.WarmUp(10.0, 9000, true, false);
        assertThat(GenerateCommand.summary(r, settled, null, "exact")).contains("at 1000.0 t/s;")
                .contains("warm-up 1.25 s (640 throwaway decode steps, not in the rates)").doesNotContain("includes");
        assertThat(GenerateCommand.summary(r, unsettled, null, "exact"))
                .contains("(includes the JIT's warm-up").contains("stopped before the rate settled");
        var cold = new dev.hyperattention4j.llm.runtime.Generator.Result(new int[] {1}, new int[] {5, 6, 7}, "abc",
                0.001, 0.002, "token limit", true);
        assertThat(GenerateCommand.summary(cold, null, null, "exact")).contains("(includes the JIT's warm-up")
                .doesNotContain("warm-up 1");
        // with the working threads' CPU time measured: the rate per CPU time / threads is printed beside it
        var measured = new dev.hyperattention4j.llm.runtime.Generator.Result(new int[] {1}, new int[] {5, 6, 7},
                "abc", 0.001, 0.002, "token limit", false, 0.008);
        assertThat(GenerateCommand.summary(measured, settled, null, "exact", 2))
                .contains("at 1000.0 t/s (cpu estimate 500 t/s);");
    }

    /** One generated token: no decode step to time, so the summary states no rate (it printed "NaN t/s"). */
    @Test
    void oneTokenSummaryHasNoUndefinedRate() throws Exception {
        var one = new dev.hyperattention4j.llm.runtime.Generator.Result(new int[] {1, 5}, new int[] {9}, "x", 0.002,
                0.0001, "token limit");
        assertThat(GenerateCommand.summary(one, null, new GenerateCommand.Timing(0.4, java.util.OptionalDouble.of(0.5), 0.6), "exact")).contains("generated 1 token;")
                .contains("2 tokens in 2.0 ms (1000 t/s)").contains("time to first token 0.400 s after JVM start (0.500 s after launch)").doesNotContain("NaN");
        var none = new dev.hyperattention4j.llm.runtime.Generator.Result(new int[] {1}, new int[0], "", 0.0, 0.0,
                "end of sequence");
        assertThat(GenerateCommand.summary(none, null, null, "exact")).contains("1 token in 0.0 ms;")
                .contains("generated 0 tokens;").doesNotContain("NaN").doesNotContain("Infinity");
        Path model = SharedData.require("models/stories260K/stories260K.bin");
        JsonNode doc = new ObjectMapper().readTree(run("generate", model.toString(), "-p", "Zoo", "-n", "1",
                "--temperature", "0", "--json").out());
        assertThat(doc.get("generated_tokens").asInt()).isEqualTo(1);
        assertThat(doc.get("generation_tokens_per_second").isNull()).isTrue();
        assertThat(doc.get("prompt_tokens_per_second").asDouble()).isPositive();
    }

    @Test
    void generateSampledIsReproducibleWithASeed() throws Exception {
        Path model = SharedData.require("models/stories260K/stories260K.bin");
        String[] args = {"generate", model.toString(), "-p", "Zoo", "-n", "30", "--temperature", "0.9", "--top-k",
                "20", "--top-p", "0.9", "--seed", "7", "--json"};
        JsonNode a = new ObjectMapper().readTree(run(args).out());
        JsonNode b = new ObjectMapper().readTree(run(args).out());
        assertThat(a.get("text").asText()).isNotBlank().isEqualTo(b.get("text").asText());
        assertThat(a.get("generated_tokens").asInt()).isBetween(1, 30);
    }

    @Test
    void benchModelJsonRows() throws Exception {
        Path model = SharedData.require("models/stories260K/stories260K.bin");
        Run r = run("bench-model", model.toString(), "-p", "64,128", "-n", "16", "-r", "2", "--warmup", "0", "--json",
                "-t", "1");
        assertThat(r.exit()).isZero();
        JsonNode rows = new ObjectMapper().readTree(r.out());
        assertThat(rows).hasSize(3);
        assertThat(rows.get(0).get("test").asText()).isEqualTo("pp64");
        assertThat(rows.get(2).get("test").asText()).isEqualTo("tg16");
        for (JsonNode row : rows) {
            assertThat(row.get("t_s_mean").asDouble()).isPositive();
            assertThat(row.get("samples")).hasSize(2);
        }
    }

    @Test
    void failuresAreOneLineAndExitCodeOne() {
        Path text = SharedData.require("texts/alice.txt");
        assertThat(run("ppl", "/nonexistent-model", "-f", text.toString()).exit()).isEqualTo(1);
        Path model = SharedData.require("models/stories260K/stories260K.bin");
        assertThat(run("generate", model.toString(), "--top-p", "0").exit()).isEqualTo(1);
        assertThat(run("ppl", model.toString()).exit()).as("missing --file is a usage error").isEqualTo(2);
    }
}

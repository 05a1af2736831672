package dev.hyperattention4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

/** {@code bench-model --synthetic}: random weights of a named shape, thread lists, output formats, refusals. */
class BenchModelSyntheticTest {

    @Test
    void smallestShapeRunsOnTwoThreadCountsAsJson() throws Exception {
        CliRun r = CliRun.of("bench-model", "--synthetic", "smollm2-135m", "--type", "F16", "-p", "8", "-n", "2",
                "-r", "1", "--warmup", "0", "-t", "1,2", "--no-limits", "-o", "json");
        assertThat(r.exit()).as(r.err()).isZero();
        JsonNode rows = new ObjectMapper().readTree(r.out());
        assertThat(rows).hasSize(4);
        assertThat(rows.get(0).get("model").asText()).isEqualTo("smollm2-135m F16 (random)");
        assertThat(rows.get(0).get("threads").asInt()).isEqualTo(1);
        assertThat(rows.get(2).get("threads").asInt()).isEqualTo(2);
        assertThat(rows.get(1).get("test").asText()).isEqualTo("tg2");
        // 30 layers of 576-wide F16 matrices plus the tied 49152 x 576 head, 2 bytes per weight (kept packed)
        long matrices = 30L * (576 * 576 * 2 + 576 * 192 * 2 + 3 * 576 * 1536) + 49152L * 576;
        assertThat(rows.get(0).get("weight_bytes_per_token").asLong()).isEqualTo(2 * matrices);
        for (JsonNode row : rows) {
            assertThat(row.get("t_s_mean").asDouble()).isPositive();
        }
    }

    /** --save writes a GGUF file that loads again and runs with the same per-token weight bytes. */
    @Test
    void savedSyntheticModelLoadsAsAFile(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        java.nio.file.Path file = dir.resolve("smol.gguf");
        CliRun made = CliRun.of("bench-model", "--synthetic", "smollm2-135m", "--type", "q4_k_m", "--save",
                file.toString(), "-p", "4", "-n", "0", "-r", "1", "--warmup", "0", "-t", "1", "--no-limits", "-o",
                "json");
        assertThat(made.exit()).as(made.err()).isZero();
        CliRun loaded = CliRun.of("bench-model", file.toString(), "-p", "4", "-n", "2", "-r", "1", "--warmup", "0",
                "-t", "1", "--no-limits", "-o", "json");
        assertThat(loaded.exit()).as(loaded.err()).isZero();
        JsonNode a = new ObjectMapper().readTree(made.out()).get(0), b = new ObjectMapper().readTree(loaded.out()).get(0);
        assertThat(b.get("model").asText()).isEqualTo("smol.gguf gguf");
        assertThat(b.get("weight_bytes_per_token").asLong()).isEqualTo(a.get("weight_bytes_per_token").asLong());
        assertThat(b.get("params").asLong()).isEqualTo(a.get("params").asLong());
    }

    @Test
    void csvHasOneHeaderAndOneLinePerRow() {
        CliRun r = CliRun.of("bench-model", "--synthetic", "smollm2-135m", "--type", "q8_0", "-p", "4", "-n", "0",
                "-r", "1", "--warmup", "0", "-t", "1", "--no-limits", "-o", "csv");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out().strip().split("\n")).hasSize(2);
        assertThat(r.out()).startsWith("model,size,params,threads").contains("pp4");
    }

    @Test
    void badOptionsAreOneLineErrors() {
        for (String[] args : new String[][] {
                {"bench-model", "--synthetic", "gpt-7", "-p", "4"},
                {"bench-model", "--synthetic", "smollm2-135m", "--type", "Q9_9", "-p", "4"},
                {"bench-model", "--synthetic", "smollm2-135m", "-o", "xml", "-p", "4"},
                {"bench-model", "--synthetic", "smollm2-135m", "-t", "0", "-p", "4"},
                {"bench-model", "-p", "4"},
                {"bench-model", "/nonexistent.gguf", "--save", "x.gguf", "-p", "4"}}) {
            CliRun r = CliRun.of(args);
            // an option outside its declared range is a usage error (exit 2, OptionRanges); the others exit 1
            assertThat(r.exit()).as(String.join(" ", args)).isEqualTo(java.util.List.of(args).contains("-t") ? 2 : 1);
            assertThat(r.err().strip()).as(String.join(" ", args)).startsWith("error: ").doesNotContain("\n")
                    .doesNotContain("Exception");
            assertThat(r.out()).isEmpty();
        }
        assertThat(CliRun.of("bench-model", "--synthetic", "gpt-7").err()).contains("known: smollm2-135m");
    }
}

package dev.hyperattention4j.cli.experiment;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SingleLayerExperimentTest {

    private static String[] args(Path out, String... extra) {
        String[] base = {"experiment", "single-layer", "--out", out.toString(), "--sizes", "256,512", "--dim", "16",
                "--block", "32", "--min-seq-len", "128", "-r", "1", "--threads", "1", "--check", "8"};
        String[] all = java.util.Arrays.copyOf(base, base.length + extra.length);
        System.arraycopy(extra, 0, all, base.length, extra.length);
        return all;
    }

    @Test
    void runsEndToEndAndWritesJsonPlotAndReport(@TempDir Path out) throws Exception {
        Cli.Run run = Cli.run(args(out, "--json"));
        assertThat(run.exitCode()).isZero();
        JsonNode doc = ResultStore.JSON.readTree(run.out());      // --json prints one JSON document
        assertThat(doc.path("status").asText()).isEqualTo("complete");
        assertThat(doc.path("machine").path("threads").asInt()).isEqualTo(1);
        JsonNode rows = doc.path("rows");
        assertThat(rows).hasSize(8);                              // 2 sizes × 2 masks × 2 modes
        for (JsonNode r : rows) {
            assertThat(r.path("exactSeconds").asDouble()).isPositive();
            assertThat(r.path("relError").asDouble()).isPositive().isLessThan(100);
            // on N(0,1) inputs the exact rows nearly vanish: the error is smaller on the scale of V than of O
            assertThat(r.path("errorVsValues").asDouble()).isPositive().isLessThan(r.path("relError").asDouble());
            assertThat(r.path("hyperSeconds").asDouble()).isPositive();
            assertThat(r.path("speedup").asDouble()).isPositive();
            assertThat(r.path("checkError").asDouble()).isPositive();
        }
        assertThat(out.resolve("single-layer.png")).isNotEmptyFile();
        assertThat(Files.readString(out.resolve("RESULTS.md"))).contains("Single attention layer", "single-layer.png",
                "What could not be reproduced", "err/‖V‖");
    }

    @Test
    void resumesFinishedPointsAndRestartsOnRequest(@TempDir Path out) throws Exception {
        assertThat(Cli.run(args(out)).exitCode()).isZero();
        JsonNode first = Cli.json(out.resolve("single-layer.json"));
        assertThat(Cli.run(args(out)).exitCode()).isZero();
        JsonNode resumed = Cli.json(out.resolve("single-layer.json"));
        // nothing was re-measured: the timings are the first run's
        assertThat(resumed.path("rows")).isEqualTo(first.path("rows"));
        // other settings without --restart are refused; with --restart they replace the old rows
        assertThat(Cli.run(args(out, "--mask", "causal")).exitCode()).isEqualTo(1);
        assertThat(Cli.run(args(out, "--mask", "causal", "--restart")).exitCode()).isZero();
        assertThat(Cli.json(out.resolve("single-layer.json")).path("rows")).hasSize(4);
    }

    @Test
    void extrapolatesExactTimesAboveTheLimit(@TempDir Path out) throws Exception {
        assertThat(Cli.run(args(out, "--exact-max-n", "256", "--modes", "forward", "--mask", "noncausal"))
                .exitCode()).isZero();
        JsonNode rows = Cli.json(out.resolve("single-layer.json")).path("rows");
        JsonNode small = rows.get(0), large = rows.get(1);
        assertThat(small.path("exactExtrapolated").asBoolean()).isFalse();
        assertThat(large.path("exactExtrapolated").asBoolean()).isTrue();
        assertThat(large.path("exactSeconds").asDouble()).isEqualTo(4 * small.path("exactSeconds").asDouble());
        assertThat(large.path("errorKind").asText()).isEqualTo("spot");
        assertThat(large.path("relError").asDouble()).isPositive();
        assertThat(large.path("errorVsValues").asDouble()).isPositive();
    }
}

package dev.hyperattention4j.cli.experiment;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hyperattention4j.llm.testing.SharedData;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** {@code --check k} on the commands outside the experiments: ppl and bench-hyper report the spot-checked error. */
class CheckOptionTest {

    @Test
    void pplReportsTheSpotCheckedErrorOfThePatchedLayers() throws Exception {
        Path model = SharedData.require("models/stories260K/stories260K.bin");
        Path text = SharedData.require("texts/war_and_peace.txt");
        Cli.Run run = Cli.run("ppl", model.toString(), "-f", text.toString(), "-c", "128", "--chunks", "1", "-t", "1",
                "--patch-last", "2", "--hyper-b", "16", "--hyper-m", "16", "--hyper-min-seq-len", "32",
                "--check", "8", "--json");
        assertThat(run.exitCode()).isZero();
        JsonNode doc = ResultStore.JSON.readTree(run.out());
        assertThat(doc.path("check_rows").asLong()).isEqualTo(2 * 8);     // two patched layers, one call each
        assertThat(doc.path("check_rel_error").asDouble()).isPositive().isLessThan(10);
        assertThat(doc.path("check_error_vs_values").asDouble()).isPositive().isLessThan(10);
        assertThat(doc.path("check_worst_row_vs_values").asDouble())
                .isGreaterThanOrEqualTo(doc.path("check_error_vs_values").asDouble());
    }

    @Test
    void benchHyperReportsTheSpotCheckNextToTheFullError() throws Exception {
        Cli.Run run = Cli.run("bench-hyper", "--in-process", "--sizes", "512", "--dims", "16", "--mask", "noncausal",
                "--inputs", "random", "--min-seq-len", "128", "--block", "32", "--samples", "32", "-r", "1",
                "--threads", "1", "--check", "512", "--json");
        assertThat(run.exitCode()).isZero();
        JsonNode row = ResultStore.JSON.readTree(run.out()).path("rows").get(0);
        // checking every row of the single head measures exactly the full relative error
        assertThat(row.path("checkError").asDouble()).isCloseTo(row.path("relError").asDouble(),
                org.assertj.core.api.Assertions.within(1e-3 * row.path("relError").asDouble()));
        assertThat(row.path("checkErrorVsValues").asDouble()).isCloseTo(row.path("errorVsValues").asDouble(),
                org.assertj.core.api.Assertions.within(1e-3 * row.path("errorVsValues").asDouble()));
    }

    @Test
    void benchHyperPrintsUnmeasuredFiguresAsDashesNotNaN() throws Exception {
        Cli.Run run = Cli.run("bench-hyper", "--in-process", "--sizes", "512", "--dims", "16", "--mask", "both",
                "--inputs", "random", "--min-seq-len", "128", "--block", "32", "--samples", "32", "-r", "1",
                "--threads", "1", "--no-exact", "--profile");
        assertThat(run.exitCode()).isZero();
        assertThat(run.out()).doesNotContain("NaN").contains("|          - |").contains("block part")
                .contains("replayed on 2 threads from the unit times").contains("16 threads");
    }
}

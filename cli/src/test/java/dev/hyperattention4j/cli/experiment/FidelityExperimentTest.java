package dev.hyperattention4j.cli.experiment;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FidelityExperimentTest {

    @Test
    void errorOnRealAndSyntheticInputsFallsAsMGrows(@TempDir Path out) throws Exception {
        Cli.Run run = Cli.experimentOnStories("fidelity", out, "-n", "512", "--layers", "0,-1", "--synthetic",
                "clustered", "--synthetic-shape", "2,16", "--mask", "noncausal", "--b-values", "16,64", "--m-values",
                "8,256", "--r-values", "0,4", "--seeds", "3", "--threads", "1");
        assertThat(run.exitCode()).isZero();
        JsonNode doc = Cli.json(out.resolve("fidelity.json"));
        assertThat(doc.path("status").asText()).isEqualTo("complete");
        JsonNode rows = doc.path("rows");
        assertThat(rows).hasSize(3 * 6);                   // layers 0 and 4 of the model + clustered, 6 values each
        Map<String, Double> smallM = new HashMap<>(), largeM = new HashMap<>();
        for (JsonNode r : rows) {
            assertThat(r.path("relError").asDouble()).as(r.path("key").asText()).isPositive().isLessThan(10);
            assertThat(r.path("n").asInt()).isEqualTo(512);
            if (r.path("param").asText().equals("m")) {
                (r.path("value").asInt() == 8 ? smallM : largeM).put(r.path("source").asText(),
                        r.path("relError").asDouble());
            }
        }
        assertThat(smallM.keySet()).containsExactlyInAnyOrder("stories260K L0", "stories260K L4", "clustered");
        for (String source : smallM.keySet()) {
            assertThat(largeM.get(source)).as(source).isLessThan(smallM.get(source));
        }
        JsonNode real = rows.get(0);
        assertThat(real.path("kind").asText()).isEqualTo("model");
        assertThat(real.path("heads").asInt()).isEqualTo(8);
        assertThat(real.path("d").asInt()).isEqualTo(8);
        assertThat(real.path("sinkMass").asDouble()).isBetween(0.0, 1.0);
        assertThat(out.resolve("fidelity-m.png")).isNotEmptyFile();
    }
}

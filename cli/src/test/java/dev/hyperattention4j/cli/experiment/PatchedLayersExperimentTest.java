package dev.hyperattention4j.cli.experiment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hyperattention4j.llm.model.Model;
import dev.hyperattention4j.llm.runtime.AttentionPlan;
import dev.hyperattention4j.llm.runtime.LlamaModel;
import dev.hyperattention4j.llm.runtime.Perplexity;
import dev.hyperattention4j.llm.testing.SharedData;
import dev.hyperattention4j.runtime.WorkerPool;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PatchedLayersExperimentTest {

    @Test
    void sweepsEveryLayerCountAgainstThePlainPerplexity(@TempDir Path out) throws Exception {
        Cli.Run run = Cli.experimentOnStories("patched-layers", out, "--ctx", "128,256", "--windows", "2", "--check",
                "8", "--threads", "1");
        assertThat(run.exitCode()).isZero();
        JsonNode doc = Cli.json(out.resolve("patched-layers-stories260K-war_and_peace.json"));
        assertThat(doc.path("status").asText()).isEqualTo("complete");
        JsonNode rows = doc.path("rows");
        assertThat(rows).hasSize(2 * 6);                   // two contexts × L = 0..5
        for (JsonNode r : rows) {
            assertThat(r.path("ppl").asDouble()).as(r.path("key").asText()).isGreaterThan(1).isLessThan(1e4);
            assertThat(r.path("attnSpeedup").asDouble()).isPositive();
            assertThat(r.path("e2eSpeedup").asDouble()).isPositive();
            assertThat(r.path("attnShare").asDouble()).isBetween(0.0, 1.0);
            assertThat(r.path("windows").asInt()).isEqualTo(2);
            assertThat(r.path("beyondTrainedCtx").asBoolean()).isFalse();      // trained at 512
            if (r.path("patchedLayers").asInt() == 0) {
                assertThat(r.path("deltaNll").asDouble()).isZero();
            } else {
                assertThat(r.path("checkRows").asLong()).isPositive();
                assertThat(r.path("checkError").asDouble()).isPositive().isLessThan(10);
            }
        }
        // L = 0 is exactly the plain perplexity of the same windows
        JsonNode l0 = rows.get(0);
        assertThat(l0.path("ctx").asInt()).isEqualTo(128);
        try (Model m = ModelText.open(SharedData.stories260k()); WorkerPool pool = new WorkerPool(1)) {
            int[] tokens = ModelText.tokens(m, Cli.warAndPeace(), 256 + 1);
            Perplexity.Result plain = Perplexity.windows(LlamaModel.of(m).newSession(128,
                    AttentionPlan.exact(ModelText.exactAttention(m.config().headDim(), pool)), pool), tokens, 128,
                    m.config().bosId(), 2, null);
            // same code path; only the JIT's choice of fused vs separate multiply-add may differ between the runs
            assertThat(l0.path("ppl").asDouble()).isCloseTo(plain.perplexity(), within(1e-6 * plain.perplexity()));
            assertThat(l0.path("tokensScored").asLong()).isEqualTo(plain.tokensScored());
        }
        assertThat(out.resolve("patched-layers-stories260K-war_and_peace-n128.png")).isNotEmptyFile();
        assertThat(Files.readString(out.resolve("RESULTS.md"))).contains("stories260K", "patched-layers-stories260K-war_and_peace-n256.png");
    }
}

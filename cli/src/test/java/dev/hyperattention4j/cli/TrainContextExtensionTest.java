package dev.hyperattention4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hyperattention4j.llm.model.Model;
import dev.hyperattention4j.llm.model.ModelLoader;
import dev.hyperattention4j.llm.model.RopeScaling;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Context extension with {@code ha4j train --rope-scaling}: a tiny model trained on 64-token windows is fine-tuned on
 * 256-token windows with linear scaling and HyperAttention in its last layer; the checkpoint's config.json carries
 * the scaling, the runtime loads it with that scaling, the loss on 256-token windows falls over the fine-tune steps,
 * and a malformed scaling is a one-line error.
 */
class TrainContextExtensionTest {
    private static final String[] SHAPE = {"--dim", "16", "--layers", "2", "--heads", "2", "--ffn", "32", "-t", "2",
            "-q"};

    private static Path text(Path dir) throws Exception {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < 150; i++) {
            b.append("Line ").append(i % 17).append(": the cat sat on the mat, and the dog slept by the door.\n");
        }
        return Files.writeString(dir.resolve("text.txt"), b.toString());
    }

    private static CliRun train(Path text, Path out, String... more) {
        List<String> a = new ArrayList<>(List.of("train", text.toString(), "-o", out.toString()));
        a.addAll(List.of(SHAPE));
        a.addAll(List.of(more));
        return CliRun.of(a.toArray(String[]::new));
    }

    @Test
    void aModelTrainedAt64TokensIsExtendedTo256WithLinearScaling(@TempDir Path dir) throws Exception {
        Path text = text(dir);
        CliRun base = train(text, dir.resolve("base"), "-c", "64", "--steps", "30", "--lr", "1e-2", "--eval-every",
                "0");
        assertThat(base.exit()).as(base.err()).isZero();
        CliRun extended = train(text, dir.resolve("long"), "--from", dir.resolve("base/checkpoint-30").toString(),
                "-c", "256", "--rope-scaling", "linear:4", "--steps", "12", "--lr", "3e-3", "--warmup", "2",
                "--eval-every", "4", "--eval-windows", "2", "--patch-last", "1", "--hyper-min-seq-len", "64",
                "--hyper-b", "32", "--hyper-m", "32");
        assertThat(extended.exit()).as(extended.err()).isZero();
        Path checkpoint = dir.resolve("long/checkpoint-12");

        JsonNode config = new ObjectMapper().readTree(checkpoint.resolve("config.json").toFile());
        assertThat(config.path("rope_scaling").path("rope_type").asText()).isEqualTo("linear");
        assertThat(config.path("rope_scaling").path("factor").asDouble()).isEqualTo(4.0);
        assertThat(config.path("max_position_embeddings").asInt()).isGreaterThanOrEqualTo(256);
        try (Model m = ModelLoader.open(checkpoint)) {
            assertThat(m.config().ropeScaling()).isEqualTo(RopeScaling.linear(4));
        }

        JsonNode curve = new ObjectMapper().readTree(dir.resolve("long/loss.json").toFile());
        JsonNode validation = curve.get("validation");   // each point: 2 windows of 256 tokens
        assertThat(validation).hasSize(3);
        double firstValidation = validation.get(0).get("loss").asDouble();
        double lastValidation = validation.get(2).get("loss").asDouble();
        assertThat(lastValidation).as(validation.toString()).isLessThan(firstValidation);
        JsonNode steps = curve.get("train");
        double early = (steps.get(0).get("loss").asDouble() + steps.get(1).get("loss").asDouble()) / 2;
        double late = (steps.get(10).get("loss").asDouble() + steps.get(11).get("loss").asDouble()) / 2;
        assertThat(late).as(steps.toString()).isLessThan(early);

        CliRun ppl = CliRun.of("ppl", checkpoint.toString(), "-f", text.toString(), "-c", "256", "--chunks", "2");
        assertThat(ppl.exit()).as(ppl.err()).isZero();
    }

    @Test
    void aMalformedScalingIsOneLine(@TempDir Path dir) throws Exception {
        Path text = text(dir);
        for (String bad : new String[] {"linear:0.5", "cubic:2", "yarn:4", "linear", "linear:4:9", "yarn:4:64:1:32",
                "dynamic:2:zero"}) {
            CliRun r = train(text, dir.resolve("x"), "-c", "64", "--steps", "1", "--rope-scaling", bad);
            assertThat(r.exit()).as(bad + ": " + r.err()).isIn(1, 2);
            assertThat(r.err().strip()).as(bad).startsWith("error: --rope-scaling " + bad + ":").doesNotContain("\n");
        }
    }
}

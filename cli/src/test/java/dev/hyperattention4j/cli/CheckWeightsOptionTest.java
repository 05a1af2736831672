package dev.hyperattention4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hyperattention4j.llm.testing.SharedData;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The weight check in the CLI: {@code inspect} always runs it, {@code ppl}/{@code generate}/{@code bench-model}
 * with {@code --check-weights}. A copy of stories260K with one NaN planted in its embedding is reported by tensor
 * and element, and the commands stop with exit code 1 before doing any work.
 */
class CheckWeightsOptionTest {
    private static final String BAD = "tok_embeddings.weight: F32 element 3 (index [0, 3] of shape [512, 64]) is NaN; "
            + "weights must be finite";

    /** stories260K and its tokenizer copied to a temporary folder, with embedding element 3 set to NaN. */
    private static Path corruptStories(Path dir) throws Exception {
        Path model = SharedData.require("models/stories260K/stories260K.bin");
        byte[] bytes = Files.readAllBytes(model);
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putFloat(28 + 4 * 3, Float.NaN); // after the header
        Files.copy(model.resolveSibling("tok512.bin"), dir.resolve("tok512.bin"));
        return Files.write(dir.resolve("stories260K.bin"), bytes);
    }

    @Test
    void inspectReportsTheBadWeightAndExitsOne(@TempDir Path dir) throws Exception {
        Path bad = corruptStories(dir);
        CliRun table = CliRun.of("inspect", "--repeat", "1", bad.toString());
        assertThat(table.exit()).isEqualTo(1);
        assertThat(table.out()).contains("weights       NOT FINITE: F32 tensor tok_embeddings.weight, element 3");
        assertThat(table.err()).contains("error: " + bad + ": " + BAD);
        CliRun json = CliRun.of("inspect", "--repeat", "1", "--json", bad.toString());
        assertThat(json.exit()).isEqualTo(1);
        JsonNode check = new ObjectMapper().readTree(json.out()).get("weights_check");
        assertThat(check.get("finite").asBoolean()).isFalse();
        assertThat(check.get("tensor").asText()).isEqualTo("tok_embeddings.weight");
        assertThat(check.get("element").asLong()).isEqualTo(3);
    }

    @Test
    void modelCommandsStopOnABadWeightOnlyWhenAsked(@TempDir Path dir) throws Exception {
        Path bad = corruptStories(dir);
        Path text = SharedData.require("texts/alice.txt");
        for (String[] args : new String[][] {
                {"ppl", bad.toString(), "-f", text.toString(), "-c", "64", "--chunks", "1", "-t", "1"},
                {"generate", bad.toString(), "-p", "Once", "-n", "4", "--temperature", "0", "-t", "1"},
                {"bench-model", bad.toString(), "-p", "16", "-n", "4", "-r", "1", "--warmup", "0", "-t", "1"}}) {
            String[] checked = java.util.Arrays.copyOf(args, args.length + 1);
            checked[args.length] = "--check-weights";
            CliRun r = CliRun.of(checked);
            assertThat(r.exit()).as(args[0]).isEqualTo(1);
            assertThat(r.err()).as(args[0]).contains("error: " + bad + ": " + BAD);
            assertThat(r.out()).as(args[0]).isEmpty();
        }
        // without the option the bad embedding row reaches the logits: generate stops with an error there instead
        // of sampling from NaN (it printed token 0, the argmax of NaNs, and exited 0)
        CliRun unchecked = CliRun.of("generate", bad.toString(), "-p", "Once", "-n", "2", "--temperature", "0", "-t",
                "1");
        assertThat(unchecked.exit()).as(unchecked.err()).isEqualTo(1);
        assertThat(unchecked.err()).contains("error: cannot sample: the largest logit is NaN");
    }

    @Test
    void aCleanModelPassesTheCheckWithOneLineOnStderr() {
        Path model = SharedData.require("models/stories260K/stories260K.bin");
        CliRun r = CliRun.of("generate", model.toString(), "-p", "Once", "-n", "4", "--temperature", "0", "-t", "1",
                "--check-weights");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.err()).containsPattern("weights: [0-9]+ tensors, [0-9,]+ values, all finite \\(checked in ");
        assertThat(r.out()).isNotBlank();
    }
}

package dev.hyperattention4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hyperattention4j.llm.model.Model;
import dev.hyperattention4j.llm.model.ModelLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ha4j train} end to end on a tiny model: checkpoints the runtime loads, a loss curve, a run stopped and
 * resumed that ends with the same bytes as an uninterrupted one, and one-line errors for bad options.
 */
class TrainCommandTest {
    private static final String[] SHAPE = {"--dim", "16", "--layers", "2", "--heads", "2", "--kv-heads", "1",
            "--ffn", "32", "-c", "32", "--steps", "4", "--batch", "2", "--eval-every", "2", "--eval-windows", "2",
            "-t", "2", "-q"};

    private static Path text(Path dir) throws Exception {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < 40; i++) {
            b.append("Line ").append(i).append(": the cat sat on the mat, and the dog slept.\n");
        }
        return Files.writeString(dir.resolve("text.txt"), b.toString());
    }

    private static String[] args(Path text, Path out, String... more) {
        List<String> a = new ArrayList<>(List.of("train", text.toString(), "-o", out.toString()));
        a.addAll(List.of(SHAPE));
        a.addAll(List.of(more));
        return a.toArray(String[]::new);
    }

    @Test
    void stoppedAndResumedRunEqualsUninterruptedRunAndTheRuntimeLoadsIt(@TempDir Path dir) throws Exception {
        Path text = text(dir);
        CliRun whole = CliRun.of(args(text, dir.resolve("a")));
        assertThat(whole.exit()).as(whole.err()).isZero();
        CliRun first = CliRun.of(args(text, dir.resolve("b"), "--stop-after", "2"));
        assertThat(first.exit()).as(first.err()).isZero();
        assertThat(dir.resolve("b/checkpoint-2/model.safetensors")).exists();
        CliRun rest = CliRun.of(args(text, dir.resolve("b"), "--resume", dir.resolve("b/checkpoint-2").toString()));
        assertThat(rest.exit()).as(rest.err()).isZero();
        for (String f : new String[] {"model.safetensors", "optimizer.safetensors"}) {
            assertThat(Files.readAllBytes(dir.resolve("b/checkpoint-4").resolve(f)))
                    .as(f).isEqualTo(Files.readAllBytes(dir.resolve("a/checkpoint-4").resolve(f)));
        }
        JsonNode curve = new ObjectMapper().readTree(dir.resolve("b/loss.json").toFile());
        assertThat(curve.get("train")).hasSize(4);
        assertThat(curve.get("validation")).hasSize(2);
        assertThat(curve).isEqualTo(withoutSeconds(new ObjectMapper().readTree(dir.resolve("a/loss.json").toFile()),
                curve));
        assertThat(dir.resolve("a/loss.png")).isNotEmptyFile();
        try (Model m = ModelLoader.open(dir.resolve("a/checkpoint-4"))) {
            assertThat(m.config().dim()).isEqualTo(16);
            assertThat(m.config().kvHeads()).isEqualTo(1);
            assertThat(m.tokenizer().decode(m.tokenizer().encode("héllo", false))).isEqualTo("héllo");
        }
        CliRun ppl = CliRun.of("ppl", dir.resolve("a/checkpoint-4").toString(), "-f", text.toString(), "-c", "32",
                "--chunks", "2");
        assertThat(ppl.exit()).as(ppl.err()).isZero();
    }

    /** The same curve with {@code b}'s timings (the only field that differs between runs). */
    private static JsonNode withoutSeconds(JsonNode a, JsonNode b) {
        JsonNode copy = a.deepCopy();
        for (int i = 0; i < copy.get("train").size(); i++) {
            ((com.fasterxml.jackson.databind.node.ObjectNode) copy.get("train").get(i)).set("seconds",
                    b.get("train").get(i).get("seconds"));
        }
        return copy;
    }

    @Test
    void badInputIsOneLine(@TempDir Path dir) throws Exception {
        Path text = text(dir);
        Path tiny = Files.writeString(dir.resolve("tiny.txt"), "too short");
        Path out = dir.resolve("o");
        String[][] cases = {
                bad(text, out, "-c", "1"),
                bad(text, out, "--lr", "-1"),
                bad(text, out, "--from", dir.toString(), "--config", text.toString()),
                bad(text, out, "--kv-heads", "3"),
                bad(text, out, "--min-lr", "0.5"),
                bad(tiny, out),
                bad(text, out, "--patch-last", "5"),
                bad(text, out, "--resume", dir.resolve("nothing-here").toString()),
                bad(text, out, "--from", dir.toString()),
                bad(text, out, "--val-fraction", "0.9"),
                bad(text, out, "--repeat-fraction", "1.5"),
                bad(text, out, "--repeat-source", "sideways"),
        };
        for (String[] c : cases) {
            CliRun r = CliRun.of(c);
            assertThat(r.exit()).as(String.join(" ", c) + ": " + r.err()).isIn(1, 2);
            assertThat(r.err().strip()).as(String.join(" ", c)).startsWith("error:").doesNotContain("\n")
                    .doesNotContain("Exception");
        }
    }

    /** Default shape (dim 256, 4 layers, context 256) plus one bad option. */
    private static String[] bad(Path text, Path out, String... option) {
        List<String> a = new ArrayList<>(List.of("train", text.toString(), "-o", out.toString(), "-q"));
        a.addAll(List.of(option));
        return a.toArray(String[]::new);
    }

    @Test
    void resumeWithOtherSettingsIsRefused(@TempDir Path dir) throws Exception {
        Path text = text(dir);
        assertThat(CliRun.of(args(text, dir.resolve("a"), "--stop-after", "1")).exit()).isZero();
        CliRun r = CliRun.of(args(text, dir.resolve("a"), "--resume", dir.resolve("a/checkpoint-1").toString(),
                "--lr", "0.02"));
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains("lr").contains("resume with the same options");
    }
}

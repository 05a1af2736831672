package dev.hyperattention4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hyperattention4j.llm.model.Model;
import dev.hyperattention4j.llm.model.ModelLoader;
import dev.hyperattention4j.llm.testing.SharedData;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ha4j quantize}: a shared model to Q8_0 loads back as GGUF; bad options fail with one line, exit 1. */
class QuantizeCommandTest {

    @Test
    void quantizesTheSharedModelToQ8_0(@TempDir Path dir) throws Exception {
        Path model = SharedData.require("models/tinystories-656k");
        Path out = dir.resolve("m-q8_0.gguf");
        CliRun run = CliRun.of("quantize", model.toString(), out.toString(), "--type", "q8_0");
        assertThat(run.exit()).as(run.err()).isZero();
        assertThat(run.err()).contains("wrote " + out).contains("Q8_0=");
        try (Model m = ModelLoader.open(out)) {
            assertThat(m.config().format()).isEqualTo("gguf");
            assertThat(m.config().vocabSize()).isEqualTo(2048);
        }
    }

    @Test
    void anUnknownTypeIsOneLineAndExitOne(@TempDir Path dir) {
        Path model = SharedData.require("models/tinystories-656k");
        CliRun run = CliRun.of("quantize", model.toString(), dir.resolve("x.gguf").toString(), "--type", "Q9_K");
        assertThat(run.exit()).isEqualTo(1);
        assertThat(run.err().strip()).startsWith("error: unknown quantisation type 'Q9_K'").doesNotContain("\tat ");
        assertThat(Files.exists(dir.resolve("x.gguf"))).isFalse();
    }

    @Test
    void aMissingInputIsOneLineAndExitOne(@TempDir Path dir) {
        CliRun run = CliRun.of("quantize", dir.resolve("none.gguf").toString(), dir.resolve("x.gguf").toString(),
                "--type", "Q4_0");
        assertThat(run.exit()).isEqualTo(1);
        assertThat(run.err().strip()).startsWith("error:").contains("none.gguf").doesNotContain("\tat ");
    }
}

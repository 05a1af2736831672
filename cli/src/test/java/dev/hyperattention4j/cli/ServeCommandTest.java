package dev.hyperattention4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hyperattention4j.llm.testing.SharedData;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** {@code ha4j serve}'s options: bad values are one-line errors before anything is bound. */
class ServeCommandTest {
    @Test
    void badOptionsAreOneLineErrors() {
        Path model = SharedData.require("models/stories260K/stories260K.bin");
        // the ranges every command's options declare (OptionRanges): usage errors, exit code 2
        CliRun r = CliRun.of("serve", model.toString(), "--parallel", "0");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err().strip()).isEqualTo("error: --parallel: 0 is outside the accepted range 1 to 256");
        r = CliRun.of("serve", model.toString(), "--port", "70000");
        assertThat(r.err().strip()).isEqualTo("error: --port: 70000 is outside the accepted range 0 to 65535 (0 = any "
                + "free port)");
        r = CliRun.of("serve", model.toString(), "--threads", "0");
        assertThat(r.err().strip()).isEqualTo("error: --threads: 0 is outside the accepted range 1 to 1024");
        // slots whose KV caches the heap cannot hold: refused before anything is bound
        r = CliRun.of("serve", model.toString(), "-c", "16000000", "-np", "256");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).startsWith("error: 256 slots of 16000000 tokens of context needs ")
                .contains("lower -c/--ctx-size or -np/--parallel");
    }

    @Test
    void helpNamesTheSecurityDefaults() {
        CliRun r = CliRun.of("serve", "--help");
        assertThat(r.exit()).isZero();
        assertThat(r.out()).contains("--host", "127.0.0.1", "--api-key", "HA4J_API_KEY", "--parallel", "--queue",
                "--ctx-size", "--max-body");
    }
}

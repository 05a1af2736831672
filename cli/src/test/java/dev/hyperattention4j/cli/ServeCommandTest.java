package dev.hyperattention4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** {@code ha4j serve}'s options: bad values are one-line errors before anything is bound. */
class ServeCommandTest {
    @Test
    void badOptionsAreOneLineErrors() {
        Path model = ModelCommandsTest.shared("models/stories260K/stories260K.bin");
        CliRun r = CliRun.of("serve", model.toString(), "--parallel", "0");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err().strip()).isEqualTo("error: --parallel must be in [1, 256], got 0");
        r = CliRun.of("serve", model.toString(), "--port", "70000");
        assertThat(r.err().strip()).isEqualTo("error: --port must be in [0, 65535], got 70000");
        r = CliRun.of("serve", model.toString(), "--threads", "0");
        assertThat(r.err().strip()).isEqualTo("error: --threads must be >= 1, got 0");
    }

    @Test
    void helpNamesTheSecurityDefaults() {
        CliRun r = CliRun.of("serve", "--help");
        assertThat(r.exit()).isZero();
        assertThat(r.out()).contains("--host", "127.0.0.1", "--api-key", "HA4J_API_KEY", "--parallel", "--queue",
                "--ctx-size", "--max-body");
    }
}

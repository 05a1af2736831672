package dev.hyperattention4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every command's --help renders cleanly: picocli formats descriptions with String.format, so a bare '%' in a
 * description prints a "[picocli WARN] Could not format" line instead of the help.
 */
class HelpTextTest {

    static Stream<String> commands() {
        return Stream.concat(Stream.of(""), Main.singleSubcommands().stream().sorted());
    }

    @ParameterizedTest
    @MethodSource("commands")
    void helpHasNoFormattingWarning(String command) {
        CliRun run = command.isEmpty() ? CliRun.of("--help") : CliRun.of(command, "--help");
        assertThat(run.exit()).isZero();
        assertThat(run.out()).contains("Usage: ha4j");
        assertThat(run.out() + run.err()).doesNotContain("picocli WARN").doesNotContain("Could not format");
    }
}

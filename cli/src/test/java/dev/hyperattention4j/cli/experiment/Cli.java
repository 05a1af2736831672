package dev.hyperattention4j.cli.experiment;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hyperattention4j.cli.Main;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine;

/** Runs {@code ha4j} in-process for the experiment tests, and finds the shared data (skipping visibly). */
final class Cli {
    private Cli() {}

    record Run(int exitCode, String out) {}

    /** Executes the command line, capturing stdout. */
    static Run run(String... args) {
        PrintStream saved = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        try (PrintStream capture = new PrintStream(buf, true, StandardCharsets.UTF_8)) {
            System.setOut(capture);
            int code = new CommandLine(new Main()).execute(args);
            return new Run(code, buf.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(saved);
        }
    }

    static JsonNode json(Path file) throws java.io.IOException {
        return ResultStore.read(file);
    }

    static Path shared(String relative) {
        Path p = Path.of(System.getProperty("ha4j.shared", "../../shared")).toAbsolutePath().normalize()
                .resolve(relative);
        assumeTrue(Files.exists(p), () -> "skipped: shared data " + p + " is missing");
        return p;
    }
}

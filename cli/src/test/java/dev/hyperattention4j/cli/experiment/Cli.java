package dev.hyperattention4j.cli.experiment;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hyperattention4j.cli.Main;
import dev.hyperattention4j.llm.testing.SharedData;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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

    /**
     * {@code ha4j experiment NAME --out OUT --model M --text T OPTIONS...} on the experiments' real inputs: the
     * shared stories260K model reading War and Peace.
     */
    static Run experimentOnStories(String name, Path out, String... options) {
        List<String> args = new ArrayList<>(List.of("experiment", name, "--out", out.toString(), "--model",
                SharedData.stories260k().toString(), "--text", warAndPeace().toString()));
        args.addAll(List.of(options));
        return run(args.toArray(String[]::new));
    }

    static Path warAndPeace() {
        return SharedData.require("texts/war_and_peace.txt");
    }

    static JsonNode json(Path file) throws java.io.IOException {
        return ResultStore.read(file);
    }

}

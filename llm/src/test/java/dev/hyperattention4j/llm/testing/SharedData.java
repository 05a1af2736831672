package dev.hyperattention4j.llm.testing;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;

/** Locates the read-only shared data ({@code -Dha4j.shared}); tests skip visibly, naming the missing path. */
public final class SharedData {
    private SharedData() {}

    public static Path root() {
        return Path.of(System.getProperty("ha4j.shared", "../../shared")).toAbsolutePath().normalize();
    }

    /** The shared path {@code relative}, or a skipped test naming it when it is absent. */
    public static Path require(String relative) {
        Path p = root().resolve(relative);
        assumeTrue(Files.exists(p), () -> "skipped: shared data " + p + " is missing");
        return p;
    }

    public static Path stories260k() { return require("models/stories260K/stories260K.bin"); }

    public static Path tinystories656k() { return require("models/tinystories-656k"); }
}

package dev.hyperattention4j.chat;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;

/** The read-only shared models ({@code -Dha4j.shared}); tests skip visibly, naming the missing path. */
final class Shared {
    private Shared() {
    }

    static Path require(String relative) {
        Path p = Path.of(System.getProperty("ha4j.shared", "../../shared")).toAbsolutePath().normalize()
                .resolve(relative);
        assumeTrue(Files.exists(p), () -> "skipped: shared data " + p + " is missing");
        return p;
    }
}

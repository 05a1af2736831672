package dev.hyperattention4j.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs a {@code main} class of the test class path in a fresh JVM with its own heap limit, for memory-bound tests
 * ("n = 131,072 runs in -Xmx512m"): the bound applies to that JVM alone, not to the test runner's heap.
 */
public final class ForkedJvm {
    private ForkedJvm() {}

    /** The child's exit code and combined output. */
    public record Result(int exitCode, String output) {}

    /**
     * Runs {@code mainClass} with {@code -Xmx<maxHeap>} and the given arguments; fails after {@code timeoutSeconds}.
     */
    public static Result run(Class<?> mainClass, String maxHeap, long timeoutSeconds, String... args)
            throws IOException, InterruptedException {
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(javaBin, "-Xmx" + maxHeap, "-XX:+UseSerialGC",
                "--add-modules", "jdk.incubator.vector", "-cp", System.getProperty("java.class.path"),
                mainClass.getName()));
        cmd.addAll(List.of(args));
        // Output goes to a file, not a pipe, so a chatty child can never block on a full pipe buffer.
        Path log = Files.createTempFile("ha4j-fork", ".log");
        try {
            Process process = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new AssertionError("forked JVM " + mainClass.getSimpleName() + " did not finish in "
                        + timeoutSeconds + " s");
            }
            return new Result(process.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(log);
        }
    }
}

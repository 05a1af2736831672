package dev.hyperattention4j.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The {@code ha4j} launcher passes {@code HA4J_JVM_OPTS} to the JVM split at whitespace and never glob-expanded
 * (issue #25: {@code HA4J_JVM_OPTS='*'} used to become the names of the files in the working directory). The real
 * launcher and its {@code scripts/jdk.sh} run against a fake JDK 25 whose {@code java} writes the arguments it
 * received one per line, in a directory holding files a glob would match; both of the launcher's ways to start the
 * JVM are covered (with class-data sharing for {@code inspect}, without for {@code bench}).
 */
class LauncherJvmOptsTest {
    private static final Path REPO = Path.of("..").toAbsolutePath().normalize();

    @ParameterizedTest(name = "ha4j {0}")
    @ValueSource(strings = {"inspect", "bench"})
    void jvmOptionsArriveSplitAtWhitespaceAndUnexpanded(String command, @TempDir Path root) throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/bin/bash")), "the launcher is a bash script");
        Path launcher = copy(REPO.resolve("ha4j"), root.resolve("ha4j"));
        copy(REPO.resolve("scripts/jdk.sh"), root.resolve("scripts/jdk.sh"));
        Files.createDirectories(root.resolve("cli/target"));
        Files.writeString(root.resolve("cli/target/ha4j.jar"), "not a jar: the fake java never opens it");
        Path jdk = Files.createDirectories(root.resolve("fake-jdk/bin"));
        Files.writeString(jdk.resolveSibling("release"), "JAVA_VERSION=\"25.0.1\"\n");
        Path args = root.resolve("args.txt");
        Path java = Files.writeString(jdk.resolve("java"),
                "#!/bin/bash\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done > \"$HA4J_TEST_ARGS\"\n");
        Files.setPosixFilePermissions(java, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.writeString(root.resolve("glob-bait.txt"), "a file '*' or '?.txt' would match if expanded");

        ProcessBuilder pb = new ProcessBuilder(launcher.toString(), command, "--flag").directory(root.toFile())
                .redirectErrorStream(true);
        pb.environment().put("HA4J_JAVA_HOME", jdk.getParent().toString());
        pb.environment().put("HA4J_TEST_ARGS", args.toString());
        pb.environment().put("HA4J_JVM_OPTS", "  *  -Dha4j.a=1\t-Dha4j.b=two  ?.txt -Xss2m ");
        Process p = pb.start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as(output).isTrue();
        assertThat(p.exitValue()).as(output).isZero();

        List<String> received = Files.readAllLines(args);
        int jar = received.indexOf("-jar");
        assertThat(jar).as("%s", received).isPositive();
        // the options in their order, each one argument, '*' and '?.txt' literally, and nothing a glob produced
        assertThat(received.subList(0, jar)).containsSubsequence("*", "-Dha4j.a=1", "-Dha4j.b=two", "?.txt",
                "-Xss2m").doesNotContain("glob-bait.txt", "ha4j", "scripts", "").noneMatch(a -> a.contains(" "));
        assertThat(received.subList(jar + 1, received.size())).containsExactly(
                root.resolve("cli/target/ha4j.jar").toString(), command, "--flag");
        assertThat(received).contains("--add-modules", "jdk.incubator.vector");
    }

    private static Path copy(Path from, Path to) throws IOException {
        Files.createDirectories(to.getParent());
        return Files.copy(from, to, StandardCopyOption.COPY_ATTRIBUTES);
    }
}

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
 * JVM are covered (with class-data sharing for {@code inspect}, without for {@code bench}). Its heap cap counts the
 * model file (also when named as {@code --model=FILE}) and the longest context of the command line.
 */
class LauncherJvmOptsTest {
    private static final Path REPO = Path.of("..").toAbsolutePath().normalize();

    @ParameterizedTest(name = "ha4j {0}")
    @ValueSource(strings = {"inspect", "bench"})
    void jvmOptionsArriveSplitAtWhitespaceAndUnexpanded(String command, @TempDir Path root) throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/bin/bash")), "the launcher is a bash script");
        Files.writeString(root.resolve("glob-bait.txt"), "a file '*' or '?.txt' would match if expanded");
        List<String> received = launch(root, "  *  -Dha4j.a=1\t-Dha4j.b=two  ?.txt -Xss2m ", command, "--flag");
        int jar = received.indexOf("-jar");
        assertThat(jar).as("%s", received).isPositive();
        // the options in their order, each one argument, '*' and '?.txt' literally, and nothing a glob produced
        assertThat(received.subList(0, jar)).containsSubsequence("*", "-Dha4j.a=1", "-Dha4j.b=two", "?.txt",
                "-Xss2m").doesNotContain("glob-bait.txt", "ha4j", "scripts", "").noneMatch(a -> a.contains(" "));
        assertThat(received.subList(jar + 1, received.size())).containsExactly(
                root.resolve("cli/target/ha4j.jar").toString(), command, "--flag");
        assertThat(received).contains("--add-modules", "jdk.incubator.vector");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"ppl MODEL -c 16384", "experiment --model=MODEL --ctx=512,16384,8192", "ppl -c 4096 MODEL --context=16384"})
    void theHeapCapCountsTheModelFileAndTheLongestContext(String command, @TempDir Path root) throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/bin/bash")), "the launcher is a bash script");
        Path model = root.resolve("model.gguf");
        try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(model.toFile(), "rw")) {
            f.setLength(10L << 20);   // 10 MiB (sparse: du -b counts the apparent size)
        }
        List<String> received = launch(root, null, command.replace("MODEL", model.toString()).split(" "));
        // 256 MiB + 6 x 10 MiB for the model + 16384 tokens x 64 KiB (the longest context of the command line)
        long mem = Files.readAllLines(Path.of("/proc/meminfo")).stream().filter(l -> l.startsWith("MemTotal:"))
                .mapToLong(l -> Long.parseLong(l.replaceAll("[^0-9]", "")) / 1024 * 3 / 4).findFirst().orElse(0);
        assumeTrue(mem > 256 + 60 + 1024, "the machine caps the heap at 3/4 of its memory, " + mem + " MiB");
        assertThat(received).contains("-Xmx" + (256 + 60 + 1024) + "m");
    }

    /**
     * Runs the launcher in {@code root} against a fake JDK 25 whose {@code java} writes its arguments one per line;
     * returns them.
     */
    private static List<String> launch(Path root, String jvmOpts, String... args) throws Exception {
        Path launcher = copy(REPO.resolve("ha4j"), root.resolve("ha4j"));
        copy(REPO.resolve("scripts/jdk.sh"), root.resolve("scripts/jdk.sh"));
        Files.createDirectories(root.resolve("cli/target"));
        Files.writeString(root.resolve("cli/target/ha4j.jar"), "not a jar: the fake java never opens it");
        Path jdk = Files.createDirectories(root.resolve("fake-jdk/bin"));
        Files.writeString(jdk.resolveSibling("release"), "JAVA_VERSION=\"25.0.1\"\n");
        Path out = root.resolve("args.txt");
        Path java = Files.writeString(jdk.resolve("java"),
                "#!/bin/bash\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done > \"$HA4J_TEST_ARGS\"\n");
        Files.setPosixFilePermissions(java, PosixFilePermissions.fromString("rwxr-xr-x"));
        List<String> command = new java.util.ArrayList<>(List.of(launcher.toString()));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).directory(root.toFile()).redirectErrorStream(true);
        pb.environment().put("HA4J_JAVA_HOME", jdk.getParent().toString());
        pb.environment().put("HA4J_TEST_ARGS", out.toString());
        if (jvmOpts == null) {
            pb.environment().remove("HA4J_JVM_OPTS");
        } else {
            pb.environment().put("HA4J_JVM_OPTS", jvmOpts);
        }
        Process p = pb.start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as(output).isTrue();
        assertThat(p.exitValue()).as(output).isZero();
        return Files.readAllLines(out);
    }

    private static Path copy(Path from, Path to) throws IOException {
        Files.createDirectories(to.getParent());
        return Files.copy(from, to, StandardCopyOption.COPY_ATTRIBUTES);
    }
}

package dev.hyperattention4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The library example in README.md compiles against this build and runs, so the README cannot drift from the API
 * (here in cli, whose tests run once, not at three vector widths as core's do).
 */
class ReadmeExampleTest {

    @Test
    void readmeExampleCompilesAndRuns(@TempDir Path dir) throws Exception {
        String readme = Files.readString(Path.of("..", "README.md"));
        int start = readme.indexOf("```java\n");
        assertThat(start).as("README.md has a java example").isGreaterThanOrEqualTo(0);
        int end = readme.indexOf("```", start + 8);
        String source = readme.substring(start + 8, end);
        assertThat(source).contains("public class Example");
        Path file = dir.resolve("Example.java");
        Files.writeString(file, source);

        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        ByteArrayOutputStream diagnostics = new ByteArrayOutputStream();
        int rc = javac.run(null, diagnostics, diagnostics, "--add-modules", "jdk.incubator.vector", "-cp",
                System.getProperty("java.class.path"), "-d", dir.toString(), file.toString());
        assertThat(rc).as("javac: %s", diagnostics.toString(StandardCharsets.UTF_8)).isZero();

        PrintStream out = System.out;
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        try (URLClassLoader loader = new URLClassLoader(new URL[] {dir.toUri().toURL()},
                getClass().getClassLoader())) {
            Method main = loader.loadClass("Example").getMethod("main", String[].class);
            System.setOut(new PrintStream(printed, true, StandardCharsets.UTF_8));
            main.invoke(null, (Object) new String[0]);
        } finally {
            System.setOut(out);
        }
        // causal HyperAttention at n = 8192 on random inputs: the error on the scale of V is small (about 0.1),
        // while ‖Ô−O‖/‖O‖ would be large by construction (docs/DESIGN.md §4)
        List<String> lines = printed.toString(StandardCharsets.UTF_8).lines().toList();
        assertThat(lines).hasSize(1);
        assertThat(lines.get(0)).startsWith("error vs |V|: ");
        double error = Double.parseDouble(lines.get(0).substring("error vs |V|: ".length()).replace(',', '.'));
        assertThat(error).isGreaterThan(0).isLessThan(0.5);
    }
}

package dev.hyperattention4j.llm.hardening;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hyperattention4j.llm.testing.SharedData;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Perplexity over 32,768 tokens in a forked JVM limited to a 64 MiB heap (issue #9): the long path keeps no per-token
 * logits, no whole-text activations and no n×n buffer, so it fits where a leak of even 4 bytes per token per vocab
 * entry (512 × 32768 × 4 = 64 MiB) would not.
 */
class LongPerplexityMemoryTest {
    private static final int TOKENS = 32768, CONTEXT = 2048;

    @Test
    void perplexityOver32kTokensRunsIn64MiB() throws Exception {
        Path model = SharedData.stories260k();
        Path text = SharedData.require("texts/alice.txt");
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx64m", "-XX:+UseSerialGC", "--add-modules", "jdk.incubator.vector",
                "-cp", System.getProperty("java.class.path"), LongPerplexityMain.class.getName(),
                model.toString(), text.toString(), String.valueOf(TOKENS), String.valueOf(CONTEXT)));
        Path log = Files.createTempFile("ha4j-ppl", ".log");
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            if (!p.waitFor(600, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("forked perplexity run did not finish in 600 s");
            }
            String out = Files.readString(log, StandardCharsets.UTF_8);
            assertThat(p.exitValue()).as(out).isZero();
            String[] result = out.lines().filter(l -> l.startsWith("RESULT ")).findFirst().orElseThrow()
                    .split(" ");
            double ppl = Double.parseDouble(result[1]);
            assertThat(Long.parseLong(result[2])).as("tokens processed").isEqualTo(TOKENS);
            // llama.cpp's protocol scores the second half of each window but its last token
            assertThat(Long.parseLong(result[4])).as("tokens scored")
                    .isEqualTo((long) TOKENS / CONTEXT * (CONTEXT - 1 - CONTEXT / 2));
            // a TinyStories model on Alice: well above 1 and far below the 512-token vocabulary
            assertThat(ppl).isFinite().isBetween(2.0, 200.0);
            assertThat(Long.parseLong(result[3])).as("peak heap bytes").isLessThan(64L << 20);
        } finally {
            Files.deleteIfExists(log);
        }
    }
}

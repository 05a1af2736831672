package dev.hyperattention4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Which warm-up {@link Main} starts at JVM start, before picocli parses the arguments: at most one, never for help. */
class EarlyWarmupTest {

    @Test
    void attentionCommandsWarmTheExactKernel() {
        assertThat(Main.runsExactAttention("bench")).isTrue();
        assertThat(Main.runsExactAttention("bench", "cold", "--n", "8192")).isTrue();
        assertThat(Main.runsExactAttention("experiment", "fig4")).isTrue();
        assertThat(Main.runsExactAttention("bench", "model", "m.gguf")).isFalse();
        assertThat(Main.runsExactAttention("bench", "--help")).isFalse();
    }

    @Test
    void modelCommandsWarmTheModelKernels() {
        for (String[] args : new String[][] {{"generate", "m.gguf"}, {"serve", "m.gguf"}, {"ppl", "m.gguf", "t.txt"},
                {"bench", "model", "m.gguf"}, {"bench-model", "m.gguf"}}) {
            assertThat(Main.runsModel(args)).as(String.join(" ", args)).isTrue();
            assertThat(Main.runsExactAttention(args)).as(String.join(" ", args)).isFalse();
        }
        assertThat(Main.runsModel("bench")).isFalse();
        assertThat(Main.runsModel("train", "data")).isFalse();
        assertThat(Main.runsModel("generate", "--help")).isFalse();
        assertThat(Main.runsModel()).isFalse();
    }
}

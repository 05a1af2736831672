package dev.hyperattention4j.attention;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hyperattention4j.testing.ForkedJvm;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * No O(n²) memory: n = 131,072, d = 64, one head runs in a forked JVM limited to -Xmx512m (inputs and output take
 * 128 MiB, packed keys and values 64 MiB), and sampled rows match a direct double computation. About 10-20 s of
 * compute per case on 2 cores.
 */
class LongContextMemoryTest {

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void n131072RunsIn512MiB(boolean causal) throws Exception {
        ForkedJvm.Result r = ForkedJvm.run(LongContextMain.class, "512m", 600, "131072", "64", Boolean.toString(causal));
        assertThat(r.output()).contains("worst sampled row error");
        assertThat(r.exitCode()).as(r.output()).isZero();
    }
}

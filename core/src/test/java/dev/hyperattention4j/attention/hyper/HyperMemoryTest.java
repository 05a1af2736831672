package dev.hyperattention4j.attention.hyper;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hyperattention4j.testing.ForkedJvm;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * docs/DESIGN.md §10: n = 131,072, d = 64 must run in a 512 MiB heap (inputs and output take 128
 * MiB; a single
 * n×n float matrix would take 64 GiB), causal and non-causal, in a forked JVM so the limit applies to it alone.
 */
class HyperMemoryTest {

    @ParameterizedTest(name = "causal={0}")
    @ValueSource(booleans = {false, true})
    void forwardAt131kFitsIn512MiB(boolean causal) throws Exception {
        ForkedJvm.Result r = ForkedJvm.run(HyperMemoryMain.class, "512m", 900, "131072", Boolean.toString(causal));
        assertThat(r.exitCode()).as(r.output()).isZero();
        assertThat(r.output()).contains("OK n=131072 causal=" + causal);
        System.out.print(r.output());
    }
}

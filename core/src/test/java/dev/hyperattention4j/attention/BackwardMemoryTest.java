package dev.hyperattention4j.attention;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hyperattention4j.testing.ForkedJvm;
import org.junit.jupiter.api.Test;

/**
 * The exact backward holds no nq×nk buffer: with one side at n = 131,072 and the other at 1,024, such a buffer
 * would take 512 MiB in floats, the whole of the forked JVM's heap, while the tensors and O(n·d) packing fit.
 */
class BackwardMemoryTest {

    @Test
    void exactBackwardAt131072RunsIn512MiB() throws Exception {
        ForkedJvm.Result r = ForkedJvm.run(BackwardMemoryMain.class, "512m", 600, "131072", "1024");
        assertThat(r.exitCode()).as(r.output()).isZero();
        assertThat(r.output()).contains("ok nq=131072 nk=1024 causal=true", "ok nq=1024 nk=131072 causal=false",
                "done");
    }
}

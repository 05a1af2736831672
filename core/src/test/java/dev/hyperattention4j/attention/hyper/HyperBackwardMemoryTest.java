package dev.hyperattention4j.attention.hyper;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hyperattention4j.testing.ForkedJvm;
import org.junit.jupiter.api.Test;

/**
 * HyperAttention's backward keeps O(n·d) state: at n = 131,072, d = 64 the eight tensors (Q, K, V, O, dO and the
 * three gradients) take 256 MiB, and forward + backward must fit a 768 MiB heap.
 */
class HyperBackwardMemoryTest {

    @Test
    void forwardAndBackwardAt131072RunIn768MiB() throws Exception {
        ForkedJvm.Result r = ForkedJvm.run(HyperBackwardMemoryMain.class, "768m", 600, "131072");
        assertThat(r.exitCode()).as(r.output()).isZero();
        assertThat(r.output()).contains("ok hyper n=131072 causal=false", "ok hyper n=131072 causal=true", "done");
    }
}

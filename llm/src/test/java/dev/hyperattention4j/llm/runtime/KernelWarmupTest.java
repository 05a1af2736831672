package dev.hyperattention4j.llm.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hyperattention4j.llm.model.DType;
import org.junit.jupiter.api.Test;

/**
 * The warm-up compiles the packed-weight kernels that are in use: a kernel required before the warm-up ends and one
 * required after it are both reported ready once {@link KernelWarmup#awaitReady} returns (when the warm-up reached
 * compiled speed at all, which depends on the JIT and the host and is reported, not asserted).
 */
class KernelWarmupTest {

    @Test
    void kernelsRequiredBeforeAndAfterTheWarmupAreWarmed() {
        BlockKernel before = BlockKernel.forType(DType.Q8_0);
        BlockKernel after = BlockKernel.forType(DType.Q4_K);
        KernelWarmup.require(before);
        KernelWarmup.awaitReady();
        boolean compiled = KernelWarmup.ready();
        assertThat(KernelWarmup.ready(before)).isEqualTo(compiled);
        KernelWarmup.require(after);               // a layer of this type loaded after the warm-up ended
        KernelWarmup.awaitReady();
        assertThat(KernelWarmup.ready(after)).as("warmed by a warm-up of its own").isEqualTo(compiled);
        assertThat(KernelWarmup.ready(null)).as("the reference decoder follows the common flag").isEqualTo(compiled);
        System.out.println("kernel warm-up compiled: " + compiled);
    }
}

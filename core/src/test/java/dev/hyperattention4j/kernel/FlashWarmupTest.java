package dev.hyperattention4j.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * The flash kernel's warm-up: its rounds run every micro-kernel path and HyperAttention's block kernel on valid
 * inputs (finite results, no index error), it ends, and its state is reported. Whether it reached compiled
 * speed depends on the JIT and the host, so that is reported, not asserted; speed lives in {@code ha4j bench cold}
 * and scripts/coldstart-check.
 */
class FlashWarmupTest {

    @Test
    void roundsRunEveryMicroKernelOnValidInputs() {
        FlashWarmup.Inputs in = new FlashWarmup.Inputs();
        for (int i = 0; i < 3; i++) {
            in.round();
            in.narrowRound();
        }
        // the last round's value kernels accumulate into o before it is cleared: run them once more and check
        FlashTiles.valueBlock(in.sb, 8, in.v, 0, in.o, FlashTiles.BASE, 5 * VectorWidth.LANES, 0);
        boolean anyNonZero = false;
        for (float x : in.o) {
            assertThat(Float.isFinite(x)).isTrue();
            anyNonZero |= x != 0f;
        }
        assertThat(anyNonZero).as("the value block wrote its 6 x 4-vector block").isTrue();
        FlashWarmup.SmallProblems path = new FlashWarmup.SmallProblems();
        path.round();
        path.blockRound();
        // HyperAttention's block kernel: its last epilogue (merged with a prior result) wrote finite rows
        for (float x : path.blockOut) {
            assertThat(Float.isFinite(x)).isTrue();
        }
        for (float x : path.blockLse) {
            assertThat(x).isFinite().isGreaterThan(0f);
        }
    }

    @Test
    void onlyHeadDimsWithANarrowValueBlockWaitForTheNarrowPhase() {
        final int l = VectorWidth.LANES;
        assertThat(FlashWarmup.needsNarrowBlocks(4 * l)).isFalse();
        assertThat(FlashWarmup.needsNarrowBlocks(8 * l)).isFalse();
        assertThat(FlashWarmup.needsNarrowBlocks(5 * l)).as("a 1-vector rest").isTrue();
        assertThat(FlashWarmup.needsNarrowBlocks(2 * l)).as("a 2-vector block").isTrue();
        assertThat(FlashWarmup.needsNarrowBlocks(4 * l - 3)).isFalse();   // padded to 4 vectors
    }

    @Test
    void freshScratchRoundsComputeWhatReusedScratchComputes() {
        // every 4th round of the kernel path runs on a fresh kernel and fresh packed keys (growth branches): its
        // results must be the bits of a round on reused scratch
        FlashWarmup.SmallProblems path = new FlashWarmup.SmallProblems();
        path.round();                                   // round 0: fresh scratch
        float[] fresh = path.lastOut().clone();
        path.round();                                   // round 1: reused scratch
        assertThat(path.lastOut()).containsExactly(fresh);
        boolean anyNonZero = false;
        for (float x : fresh) {
            assertThat(Float.isFinite(x)).isTrue();
            anyNonZero |= x != 0f;
        }
        assertThat(anyNonZero).isTrue();
    }

    @Test
    void exactPathIsWarmBeforeTheBlockKernelIsAskedFor() {
        boolean flash = FlashWarmup.awaitFlash();
        assertThat(FlashWarmup.flashFinished()).isTrue();
        FlashWarmup.awaitFor(5 * VectorWidth.LANES);
        assertThat(FlashWarmup.finishedFor(5 * VectorWidth.LANES)).isTrue();
        FlashWarmup.requestBlockKernel();               // HyperAttention in use: its phase runs, then the thread ends
        boolean all = FlashWarmup.awaitFinished();
        assertThat(FlashWarmup.finished()).isTrue();
        if (!flash) {
            assertThat(all).as("a warm-up that gave up on the exact path does not report ready").isFalse();
        }
        assertThat(FlashWarmup.timeline()).startsWith("warm-up timeline (s after JVM start): thread ");
        System.out.println(FlashWarmup.describe() + "; " + FlashWarmup.timeline());
    }

    @Test
    void warmupEndsAndSaysHow() {
        boolean ready = FlashWarmup.awaitFinished();
        assertThat(FlashWarmup.finished()).isTrue();
        assertThat(FlashWarmup.ready()).isEqualTo(ready);
        assertThat(FlashWarmup.describe()).startsWith("flash warm-up: " + (ready ? "compiled" : "gave up"));
        System.out.println(FlashWarmup.describe());
    }
}

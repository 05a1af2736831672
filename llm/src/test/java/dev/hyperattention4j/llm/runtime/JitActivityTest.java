package dev.hyperattention4j.llm.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.Test;

/**
 * {@link JitActivity}: rounds in which nothing is compiled make it quiet only after enough of them and enough time;
 * a round in which a compilation ended starts the count again.
 */
class JitActivityTest {
    private static volatile long sink;

    @Test
    void quietOnlyAfterEnoughRoundsWithoutCompilation() throws Exception {
        JitActivity jit = new JitActivity(3, 30_000_000L);
        assumeTrue(jit.supported(), "this JVM does not report its compilation time");
        // a round that waits until some compilation ends (a fresh hot loop: C1, then C2)
        jit.roundStarts();
        compileSomething(JitActivityTest::stepA);
        jit.roundEnds();
        assertThat(jit.quiet()).isFalse();
        // rounds of sleeping compile nothing of ours; another thread may still end a compilation now and then, so
        // allow a few restarts before asking for three quiet rounds in a row
        boolean quiet = false;
        for (int i = 0; i < 40 && !quiet; i++) {
            jit.roundStarts();
            Thread.sleep(15);
            jit.roundEnds();
            quiet = jit.quiet();
        }
        assertThat(quiet).as("three rounds (45 ms) without a compilation").isTrue();
        jit.roundStarts();
        compileSomething(JitActivityTest::stepB);     // a method not run before: it gets compiled now
        jit.roundEnds();
        assertThat(jit.quiet()).as("a compilation ended: the count starts again").isFalse();
    }

    @Test
    void roundsTooShortInAllDoNotCount() throws Exception {
        JitActivity jit = new JitActivity(1, 60_000_000_000L);
        assumeTrue(jit.supported(), "this JVM does not report its compilation time");
        jit.roundStarts();
        jit.roundEnds();
        assertThat(jit.quiet()).as("one empty round is far shorter than a minute").isFalse();
    }

    private static long stepA(long x) {
        return x * 6364136223846793005L + 1442695040888963407L;
    }

    private static long stepB(long x) {
        return (x ^ (x >>> 29)) * 0xbf58476d1ce4e5b9L;
    }

    /** Runs {@code step} in a hot loop until the JVM's total compilation time grows (at most 20 s). */
    private static void compileSomething(java.util.function.LongUnaryOperator step) {
        var bean = ManagementFactory.getCompilationMXBean();
        long before = bean.getTotalCompilationTime(), end = System.nanoTime() + 20_000_000_000L;
        long x = sink;
        while (bean.getTotalCompilationTime() == before && System.nanoTime() < end) {
            for (int i = 0; i < 100_000; i++) {
                x = step.applyAsLong(x) + i;
            }
        }
        sink = x;
        assertThat(bean.getTotalCompilationTime()).as("something was compiled").isGreaterThan(before);
    }
}

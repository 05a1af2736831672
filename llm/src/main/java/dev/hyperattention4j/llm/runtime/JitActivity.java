package dev.hyperattention4j.llm.runtime;

import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;

/**
 * Whether the JIT has stopped compiling, judged over rounds of work: the JVM's accumulated compilation time
 * ({@link CompilationMXBean#getTotalCompilationTime}, which grows when a compilation ends) unchanged over the last
 * {@code rounds} rounds, which together spanned at least {@code nanos} (so that a round too short to see a long C2
 * compilation end does not count alone). A JVM that does not report compilation time counts as quiet, and the
 * caller's other criteria decide.
 */
public final class JitActivity {
    private final CompilationMXBean bean = ManagementFactory.getCompilationMXBean();
    private final boolean supported = bean != null && bean.isCompilationTimeMonitoringSupported();
    private final int rounds;
    private final long nanos;
    private long compileMillis = -1, roundStart, quietSince;
    private int quietRounds;

    public JitActivity(int rounds, long nanos) {
        this.rounds = rounds;
        this.nanos = nanos;
    }

    /** Whether this JVM reports its compilation time (otherwise {@link #quiet()} is always true). */
    public boolean supported() {
        return supported;
    }

    public void roundStarts() {
        roundStart = System.nanoTime();
        if (compileMillis < 0 && supported) {
            compileMillis = bean.getTotalCompilationTime();
        }
    }

    public void roundEnds() {
        if (!supported) {
            return;
        }
        long now = bean.getTotalCompilationTime();
        if (now != compileMillis) {
            quietRounds = 0;
            compileMillis = now;
        } else if (quietRounds++ == 0) {
            quietSince = roundStart;
        }
    }

    /** No compilation ended during the last {@code rounds} rounds, and they spanned at least {@code nanos}. */
    public boolean quiet() {
        return !supported || quietRounds >= rounds && System.nanoTime() - quietSince >= nanos;
    }
}

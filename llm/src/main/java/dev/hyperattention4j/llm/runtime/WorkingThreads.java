package dev.hyperattention4j.llm.runtime;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;

/**
 * CPU time of the threads that do a forward pass's work: the calling thread and the worker pools' threads
 * ({@code ha4j-worker-N}); the JIT's and the collector's threads are not counted. Rates per this CPU time estimate
 * the speed on an idle machine when a busy host keeps the threads waiting for a core.
 */
final class WorkingThreads {
    private WorkingThreads() {
    }

    /** Their CPU time so far in nanoseconds, or -1 when this JVM does not measure thread CPU time. */
    static long cpuNanos() {
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        if (!mx.isCurrentThreadCpuTimeSupported() || !mx.isThreadCpuTimeEnabled()) {
            return -1;
        }
        long sum = mx.getCurrentThreadCpuTime();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().startsWith("ha4j-worker")) {
                sum += Math.max(0, mx.getThreadCpuTime(t.threadId()));
            }
        }
        return sum;
    }
}

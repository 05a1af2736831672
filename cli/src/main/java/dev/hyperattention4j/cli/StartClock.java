package dev.hyperattention4j.cli;

import java.lang.management.ManagementFactory;
import java.time.Instant;
import java.util.OptionalDouble;

/**
 * Where a one-shot command's "time to first token" starts: the JVM's own start (its uptime, as the JVM counts it,
 * via {@link java.lang.management.RuntimeMXBean#getUptime}; {@code getStartTime} is stamped later in the JVM's
 * initialisation, up to 0.1 s on a busy host) and, when the {@code ha4j} launcher passed it, the
 * launcher's start ({@value #LAUNCH_ENV}: nanoseconds since the epoch, from {@code date +%s%N}), which also counts
 * the script and the JVM's own start-up. The operating system's process start instant is not used: it is rounded
 * to the clock tick and came out later than the real start, so the first-token time exceeded the wall time.
 */
final class StartClock {
    /** Environment variable in which the launcher passes its start time (nanoseconds since the epoch). */
    static final String LAUNCH_ENV = "HA4J_LAUNCH_NANOS";

    private StartClock() {
    }

    /** Seconds from the JVM's start to {@code t} (an instant in the recent past), to the millisecond. */
    static double sinceJvmStart(Instant t) {
        Instant now = Instant.now();
        double uptime = ManagementFactory.getRuntimeMXBean().getUptime() / 1e3;
        return uptime - (epochNanos(now) - epochNanos(t)) / 1e9;
    }

    /** Seconds from the launcher's start to {@code t}; empty when the launcher passed no (valid) start time. */
    static OptionalDouble sinceLaunch(Instant t) {
        return sinceLaunch(t, System.getenv(LAUNCH_ENV));
    }

    static OptionalDouble sinceLaunch(Instant t, String launchNanos) {
        if (launchNanos == null || !launchNanos.matches("[0-9]{1,19}")) {
            return OptionalDouble.empty();
        }
        long start;
        try {
            start = Long.parseLong(launchNanos);
        } catch (NumberFormatException e) {
            return OptionalDouble.empty();
        }
        double s = (epochNanos(t) - start) / 1e9;
        // a value from another process (an exported variable reused later) or another clock: not this launch
        return s >= 0 && s < 24 * 3600 ? OptionalDouble.of(s) : OptionalDouble.empty();
    }

    private static long epochNanos(Instant t) {
        return t.getEpochSecond() * 1_000_000_000L + t.getNano();
    }
}

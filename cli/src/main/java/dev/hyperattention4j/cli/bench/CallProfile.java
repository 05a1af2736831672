package dev.hyperattention4j.cli.bench;

import dev.hyperattention4j.attention.AttentionProblem;
import dev.hyperattention4j.attention.hyper.HyperAttention;
import dev.hyperattention4j.attention.hyper.HyperProfile;
import dev.hyperattention4j.attention.hyper.HyperProfile.Phase;
import dev.hyperattention4j.attention.hyper.SampleSource;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * HyperAttention's time breakdown averaged over a few profiled calls, run after (and apart from) the timed calls, so
 * that the profile's clock readings never count in the timed figure.
 *
 * <p>On {@link BenchClock#CPU} the phases are timed with each thread's CPU time. A reading of that clock is a
 * system call (about 5 µs on the development VM, against tens of ns for {@link System#nanoTime}) and a query block
 * takes five, so every timed interval is corrected by one reading's cost as measured in the same run
 * ({@link HyperProfile#readingNanos()}).
 */
public final class CallProfile {
    /** No profile was taken: every figure is NaN, the breakdown empty. */
    public static final CallProfile NONE = new CallProfile(null, 0, Double.NaN, 0);

    private final HyperProfile profile;
    private final int calls;
    private final double wallSeconds;
    private final double readingNanos;

    private CallProfile(HyperProfile profile, int calls, double wallSeconds, double readingNanos) {
        this.profile = profile;
        this.calls = calls;
        this.wallSeconds = wallSeconds;
        this.readingNanos = readingNanos;
    }

    /** Runs {@code calls} (at least one) profiled calls of {@code hyper} on {@code problem}. */
    public static CallProfile measure(HyperAttention hyper, AttentionProblem problem, long seed, BenchClock clock,
                                      int calls) {
        int n = Math.max(1, calls);
        HyperProfile prof = new HyperProfile(clock == BenchClock.CPU);
        double wall = 0;
        for (int i = 0; i < n; i++) {
            long w0 = System.nanoTime();
            hyper.forward(problem, SampleSource.seeded(seed, 0, i), prof);
            wall += (System.nanoTime() - w0) / 1e9;
        }
        return new CallProfile(prof, n, wall, prof.readingNanos());
    }

    /** The measured cost of one clock reading in nanoseconds (NaN without a profile). */
    public double readingNanos() {
        return profile == null ? Double.NaN : readingNanos;
    }

    /** Clock readings (timed intervals) per call, over all phases. */
    public double intervalsPerCall() {
        if (profile == null) {
            return Double.NaN;
        }
        long all = 0;
        for (Phase phase : Phase.values()) {
            all += profile.intervals(phase);
        }
        return (double) all / calls;
    }

    /** Nanoseconds of a phase per call, summed over threads, less one clock reading per timed interval. */
    public double nanos(Phase phase) {
        if (profile == null) {
            return Double.NaN;
        }
        return Math.max(0, profile.nanos(phase) - profile.intervals(phase) * readingNanos) / calls;
    }

    /**
     * Milliseconds per call of every phase (lower-case names, in phase order, rounded to 0.01 ms), and with
     * {@code idle} the threads × elapsed time of a call minus its phases: waits at the barriers between the parallel
     * steps, the serial planning, the clock readings, and time a thread did not get a core.
     */
    public Map<String, Double> millis(boolean idle, int threads) {
        Map<String, Double> ms = new LinkedHashMap<>();
        if (profile == null) {
            return ms;
        }
        double sum = 0;
        for (Phase phase : Phase.values()) {
            double t = nanos(phase) / 1e6;
            sum += t;
            ms.put(phase.name().toLowerCase(Locale.ROOT), Math.round(t * 100) / 100.0);
        }
        if (idle) {
            double wallMs = wallSeconds / calls * 1e3;
            ms.put("idle", Math.max(0, Math.round((threads * wallMs - sum) * 100) / 100.0));
        }
        return ms;
    }

    /**
     * The measured idle of a call on {@code threads} threads (threads × elapsed time minus the phases, ms) split by
     * its cause, from the profile's own unit times: {@code serial}, the time outside the parallel steps, which the
     * calling thread spends alone (threads × that time); {@code tails}, the steps' ends as the replay of the unit
     * times on {@code threads} threads has them; {@code inUnits}, unit time outside every phase (clock readings and
     * untimed work); {@code outsideUnits}, the rest: threads × (elapsed − replayed elapsed), time the unit times do
     * not account for (a helper that starts a step late, the barrier's own latency, a thread that lost its core).
     * The four add up to the idle. Empty without a profile.
     */
    public Map<String, Double> idleParts(int threads) {
        Map<String, Double> parts = new LinkedHashMap<>();
        if (profile == null) {
            return parts;
        }
        double phases = 0;
        for (Phase phase : Phase.values()) {
            phases += nanos(phase) / 1e6;
        }
        HyperProfile.Schedule s = profile.schedule(threads);
        double wall = wallSeconds / calls * 1e3, serial = s.serialNanos() / 1e6 / calls;
        double work = s.workNanos() / 1e6 / calls, replayed = s.elapsedNanos() / 1e6 / calls;
        parts.put("serial", threads * serial);
        parts.put("tails", s.tailNanos() / 1e6 / calls);
        parts.put("inUnits", work - phases);
        parts.put("outsideUnits", threads * (wall - replayed));
        return parts;
    }

    /**
     * The rate of a phase's exact kernel calls in GFLOP/s per thread (the flops the profile counted over the phase's
     * thread time), NaN when the phase did no counted work.
     */
    public double gflopsPerThread(Phase phase) {
        double t = nanos(phase);
        if (profile == null || profile.flops(phase) == 0 || !(t > 0)) {
            return Double.NaN;
        }
        return profile.flops(phase) / (double) calls / t;
    }

    /**
     * The profiled calls replayed on {@code threads} threads from their unit times ({@link HyperProfile#schedule}),
     * or null without a profile.
     */
    public HyperProfile.Schedule schedule(int threads) {
        return profile == null ? null : profile.schedule(threads);
    }

    /** Calls the profile holds (its sums are over all of them). */
    public int calls() {
        return calls;
    }

    /** Rows recomputed exactly in the profiled calls, per call (0 for ordinary inputs). */
    public long fallbackRows() {
        return profile == null ? 0 : profile.fallbackRows() / calls;
    }
}

package dev.hyperattention4j.cli.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Prints the {@code bench} results: a human table (llama-bench style) or one JSON document. */
final class BenchReport {
    private BenchReport() {}

    /** Rows' % of peak are against {@code before.max(after)}. */
    static void table(PrintStream out, Map<String, Object> system, FmaPeak before, FmaPeak after, HostCheck host,
                      List<BenchRow> rows) {
        final FmaPeak peak = before.max(after);
        system.forEach((k, v) -> out.printf(Locale.ROOT, "%-8s %s%n", k + ":", v));
        out.printf(Locale.ROOT, "FMA peak (Vector API probe, 16 accumulators): %.1f GFLOP/s on 1 thread, %.1f on %d threads "
                        + "(the higher of %.1f / %.1f before the sweep and %.1f / %.1f after; %% peak is against it)%n",
                peak.oneThreadGflops(), peak.allThreadsGflops(), peak.threads(), before.oneThreadGflops(),
                before.allThreadsGflops(), after.oneThreadGflops(), after.allThreadsGflops());
        out.println(host.describe(peak.oneThreadGflops()));
        out.println("flops: 4·nq·nk·d per head, half of it when causal (only the unmasked half is counted); "
                + "'vs exact' = flash time / this time at the same point (> 1: faster than exact); alloc B = bytes "
                + "allocated by a warm call (all threads)");
        out.println("errors over 8 sampled rows against float64: err/‖O‖ = ‖Ô−O‖/‖O‖ (for HyperAttention on these "
                + "random inputs about sqrt(n/m) by construction), err/‖V‖ = row error on the scale of V's rows");
        out.println();
        String header = String.format(Locale.ROOT,
                "| %-14s | %6s | %3s | %-6s | %3s | %-28s | %8s | %6s | %9s | %8s | %8s | %9s |",
                "impl", "n", "d", "mask", "thr", "ms/call median (min-max)", "GFLOP/s", "% peak", "vs exact", "err/‖O‖",
                "err/‖V‖", "alloc B");
        out.println(header);
        out.println(header.replaceAll("[^|]", "-"));
        for (BenchRow r : rows) {
            out.printf(Locale.ROOT,
                    "| %-14s | %6d | %3d | %-6s | %3d | %-28s | %8s | %6s | %9s | %8.1e | %8.1e | %9d |%n",
                    r.implementation(), r.n(), r.headDim(), r.causal() ? "causal" : "full", r.threads(),
                    String.format(Locale.ROOT, "%.2f (%.2f-%.2f)", r.medianMs(), r.minMs(), r.maxMs()),
                    Double.isNaN(r.gflops()) ? "-" : String.format(Locale.ROOT, "%.1f", r.gflops()),
                    Double.isNaN(r.percentOfPeak()) ? "-" : String.format(Locale.ROOT, "%.1f%%", r.percentOfPeak()),
                    Double.isNaN(r.speedupVsExact()) ? "-" : String.format(Locale.ROOT, "%.3gx", r.speedupVsExact()),
                    r.relativeError(), r.errorVsValues(), r.allocatedBytesPerCall());
        }
    }

    static void json(PrintStream out, Map<String, Object> system, FmaPeak before, FmaPeak after, HostCheck host,
                     List<BenchRow> rows) throws Exception {
        final FmaPeak peak = before.max(after);
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("system", system);
        Map<String, Object> fma = gflops(peak);
        fma.put("threads", peak.threads());
        fma.put("before", gflops(before));
        fma.put("after", gflops(after));
        doc.put("fmaPeakGflops", fma);
        Map<String, Object> hostCheck = new LinkedHashMap<>();
        hostCheck.put("point", "flash n=" + HostCheck.N + " d=" + HostCheck.D + " full 1 thread");
        hostCheck.put("msBefore", host.startMs());
        hostCheck.put("msAfter", host.endMs());
        hostCheck.put("percentOfPeakBefore", HostCheck.percentOfPeak(host.startMs(), peak.oneThreadGflops()));
        hostCheck.put("percentOfPeakAfter", HostCheck.percentOfPeak(host.endMs(), peak.oneThreadGflops()));
        hostCheck.put("changePercent", host.changePercent());
        hostCheck.put("drifted", host.drifted());
        doc.put("hostCheck", hostCheck);
        doc.put("flopCount", "4*nq*nk*d per head; half when causal");
        doc.put("results", rows);
        out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(doc));
    }

    private static Map<String, Object> gflops(FmaPeak peak) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("oneThread", peak.oneThreadGflops());
        m.put("allThreads", peak.allThreadsGflops());
        return m;
    }
}

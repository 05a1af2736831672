package dev.hyperattention4j.cli.experiment;

import dev.hyperattention4j.cli.BenchHyperCommand;
import dev.hyperattention4j.cli.bench.BenchClock;
import dev.hyperattention4j.cli.bench.FmaPeak;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The machine and JVM a result was measured on (docs/DESIGN.md §10: record JVM, CPU, species, threads,
 * flags), with
 * the FMA peak measured in the same run and the load average at the start, since the machine may be shared.
 */
record MachineInfo(String cpu, int processors, String os, String jvm, String species, int threads, String jvmFlags,
                   double peakGflops1, double peakGflopsAll, double loadAverage, long maxHeapMiB) {

    /** Describes this machine; {@code probe} measures the FMA peak (about half a second). */
    static MachineInfo describe(int threads, boolean probe) {
        double p1 = Double.NaN, pAll = Double.NaN;
        if (probe) {
            FmaPeak peak = FmaPeak.measure(threads, BenchClock.WALL);
            p1 = peak.oneThreadGflops();
            pAll = peak.allThreadsGflops();
        }
        return new MachineInfo(cpuName(), Runtime.getRuntime().availableProcessors(),
                System.getProperty("os.name") + " " + System.getProperty("os.version") + " "
                        + System.getProperty("os.arch"),
                System.getProperty("java.vm.name") + " " + Runtime.version(),
                jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.toString(), threads,
                String.join(" ", BenchHyperCommand.forwardedJvmOptions()), p1, pAll,
                ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage(),
                Runtime.getRuntime().maxMemory() >> 20);
    }

    String summary() {
        String peak = Double.isNaN(peakGflops1) ? "" : String.format(Locale.ROOT,
                "; FMA peak %.0f GFLOP/s (1 thread) / %.0f GFLOP/s (%d threads)", peakGflops1, peakGflopsAll, threads);
        return String.format(Locale.ROOT, "%s, %d processors (%d threads used), %s, %s%s; load average %.2f at start",
                cpu, processors, threads, jvm, species, peak, loadAverage);
    }

    private static String cpuName() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).trim();
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux: fall through
        }
        return System.getProperty("os.arch");
    }
}

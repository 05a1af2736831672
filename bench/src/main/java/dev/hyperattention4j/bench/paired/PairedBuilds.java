package dev.hyperattention4j.bench.paired;

import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.function.DoubleSupplier;

/**
 * Compares builds of {@code core} in one JVM: each build's classes (a copy of {@code core/target/classes}) get their
 * own class loader, and the builds' runs alternate, so a host whose speed drifts (this project's machines change by
 * 10-15 % within minutes) affects them alike. Kernel changes of a point or two are only visible this way.
 * Usage (see {@code scripts/paired}): {@code PairedBuilds n,d[,causal] threads dirA dirB ...}; prints each build's
 * median and best of 21 alternating calls as % of the FMA peak (the first build's probe, one thread × threads).
 */
public final class PairedBuilds {
    private PairedBuilds() {}

    public static void main(String[] args) throws Exception {
        if (args.length < 3) {
            System.err.println("usage: PairedBuilds n,d[,causal] threads classesDirA [classesDirB ...]");
            System.exit(2);
        }
        String spec = args[0];
        int threads = Integer.parseInt(args[1]);
        URL self = PairedBuilds.class.getProtectionDomain().getCodeSource().getLocation();
        int k = args.length - 2;
        DoubleSupplier[] runs = new DoubleSupplier[k];
        ClassLoader first = null;
        for (int i = 0; i < k; i++) {
            // the build first, so its core classes win over any in this module's own location
            URLClassLoader loader = new URLClassLoader(new URL[] {Path.of(args[i + 2]).toUri().toURL(), self},
                    ClassLoader.getPlatformClassLoader());
            first = first == null ? loader : first;
            runs[i] = (DoubleSupplier) loader.loadClass(FlashRun.class.getName())
                    .getConstructor(String.class, int.class).newInstance(spec, threads);
        }
        double peak = threads * probe(first);
        for (int w = 0; w < 5; w++) {
            for (DoubleSupplier r : runs) {
                r.getAsDouble();
            }
        }
        double[][] gflops = new double[k][21];
        for (int rep = 0; rep < 21; rep++) {
            for (int i = 0; i < k; i++) {
                gflops[i][rep] = runs[i].getAsDouble();
            }
        }
        StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%s, %d thread(s), peak %.1f GFLOP/s:", spec,
                threads, peak));
        for (int i = 0; i < k; i++) {
            Arrays.sort(gflops[i]);
            line.append(String.format(Locale.ROOT, "  [%s] median %.1f %% best %.1f %%",
                    Path.of(args[i + 2]).getFileName(), 100 * gflops[i][10] / peak, 100 * gflops[i][20] / peak));
        }
        System.out.println(line);
    }

    /** One thread's FMA peak with the build's own probe: best of 6 runs after a warm-up. */
    private static double probe(ClassLoader loader) throws Exception {
        Class<?> probe = loader.loadClass("dev.hyperattention4j.kernel.FmaPeakProbe");
        Method spin = probe.getMethod("spin", long.class, float.class);
        long flopsPerIteration = probe.getField("FLOPS_PER_ITERATION").getLong(null);
        for (int i = 0; i < 20_000; i++) {
            spin.invoke(null, 200L, 1f);
        }
        double best = 0;
        for (int i = 0; i < 6; i++) {
            long iterations = 20_000_000L, t0 = System.nanoTime();
            spin.invoke(null, iterations, 1f);
            best = Math.max(best, iterations * (double) flopsPerIteration / (System.nanoTime() - t0));
        }
        return best;
    }
}

package dev.hyperattention4j.cli.experiment;

import dev.hyperattention4j.cli.bench.BenchClock;
import dev.hyperattention4j.cli.bench.BenchTimer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/** Small pieces every experiment command shares: timing, output and the report refresh. */
final class Experiments {
    private Experiments() {}

    /**
     * Median wall time of {@code task} in seconds over up to {@code reps} runs, after one warm-up run when
     * {@code warmUp}. A run longer than two seconds is not repeated (the long exact points;
     * docs/DESIGN.md §10
     * asks for repetitions of 0.1-0.5 s, which a 30-second run does not need).
     */
    static double time(Runnable task, int reps, boolean warmUp) {
        if (warmUp) {
            task.run();
        }
        List<Double> t = new ArrayList<>();
        do {
            t.add(BenchTimer.seconds(task, BenchClock.WALL, 1));
        } while (t.size() < reps && t.getFirst() < 2.0);
        return BenchTimer.median(t);
    }

    /** Runs an experiment body; a user-facing failure becomes a one-line message and exit code 1. */
    static int guarded(String name, java.util.concurrent.Callable<Integer> body) throws Exception {
        try {
            return body.call();
        } catch (ResultStore.SettingsMismatch | IllegalArgumentException | java.nio.file.NoSuchFileException e) {
            System.err.println(name + ": error: " + e.getMessage());
            return 1;
        }
    }

    /** The command line as typed (for the report), e.g. {@code ha4j experiment fidelity -n 4096}. */
    static String commandLine(picocli.CommandLine.Model.CommandSpec spec) {
        return spec.root().name() + " " + String.join(" ", spec.commandLine().getParseResult().originalArgs());
    }

    /**
     * Opens (or resumes) the result file {@code <file>.json} in --out, announces the run on stderr (what runs where,
     * and whether earlier points are reused) and has an interruption (Ctrl-C) write the partial report.
     */
    static <R> ResultStore<R> start(ExperimentOptions opts, String file, String name, Object settings,
                                    MachineInfo machine, Class<R> rowType, Function<R, String> key,
                                    picocli.CommandLine.Model.CommandSpec spec) throws IOException {
        ResultStore<R> store = ResultStore.open(opts.out, file, name, settings, machine, rowType, key, opts.restart);
        store.command(commandLine(spec));
        System.err.println(name + ": " + machine.summary());
        if (store.resumedRows() > 0) {
            System.err.println(name + ": resuming: " + store.resumedRows() + " finished points in " + store.file()
                    + " (use --restart to discard them)");
        }
        store.onInterrupt(() -> report(opts, true));
        return store;
    }

    /** The table on stdout, or the whole JSON document with --json. */
    static void print(ExperimentOptions opts, Path file, String table) throws IOException {
        if (opts.json) {
            System.out.println(Files.readString(file));
        } else {
            System.out.print(table);
            System.err.println("results: " + file.toAbsolutePath());
        }
    }

    /** Rewrites RESULTS.md (and the plots) in --out unless --no-report. */
    static void report(ExperimentOptions opts, boolean partial) {
        if (opts.noReport) {
            return;
        }
        try {
            Path md = ReportWriter.write(opts.out);
            if (!opts.json || partial) {
                System.err.println("report: " + md.toAbsolutePath());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the report in " + opts.out, e);
        }
    }
}

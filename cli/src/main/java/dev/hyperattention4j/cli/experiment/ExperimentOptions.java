package dev.hyperattention4j.cli.experiment;

import dev.hyperattention4j.cli.AnyValue;
import dev.hyperattention4j.cli.Range;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Options every experiment shares (a picocli mixin). */
public final class ExperimentOptions {

    @Option(names = "--out", defaultValue = "ha4j-results", description = "directory for the JSON results, PNG plots "
            + "and RESULTS.md; an unfinished run there is resumed (default ${DEFAULT-VALUE})")
    public Path out;

    @Option(names = "--restart", description = "discard earlier results of this experiment in --out and start over")
    public boolean restart;

    @Option(names = "--json", description = "print the results as one JSON document instead of the table "
            + "(also silences the progress bar)")
    public boolean json;

    @Range(min = 1, max = 1024)
    @Option(names = "--threads", description = "worker threads (default: all processors)")
    public Integer threads;

    @AnyValue
    @Option(names = "--seed", defaultValue = "1", description = "seed of inputs and HyperAttention (default ${DEFAULT-VALUE})")
    public long seed;

    @Range(min = 0, max = 1 << 20, note = "0 = off")
    @Option(names = "--check", defaultValue = "0", paramLabel = "k", description = "recompute k random rows of every "
            + "HyperAttention call exactly and report the measured error (0 = off)")
    public int check;

    @Option(names = "--no-report", description = "do not rewrite RESULTS.md in --out")
    public boolean noReport;

    public int threadCount() {
        return threads != null ? threads : Runtime.getRuntime().availableProcessors();
    }
}

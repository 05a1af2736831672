package dev.hyperattention4j.cli;

import picocli.CommandLine.Option;

/** Options the attention benchmarks {@code bench hyper} and {@code bench backward} share (a picocli mixin). */
public final class SweepOptions {
    @Range(min = 1, max = 1024)
    @Option(names = "--heads", defaultValue = "1", description = "heads per call (paper: 12; default ${DEFAULT-VALUE})")
    int heads = 1;

    @Range(min = 1, max = 1024)
    @Option(names = "--threads", description = "worker threads (default: all processors)")
    Integer threads;

    @AnyValue
    @Option(names = "--seed", defaultValue = "1",
            description = "input seed, and HyperAttention's sampling seed (default ${DEFAULT-VALUE})")
    long seed = 1;

    @Option(names = "--json", description = "print one JSON document instead of the table")
    boolean json;

    /** --threads, or every processor. */
    int threadCount() {
        return threads != null ? threads : Runtime.getRuntime().availableProcessors();
    }
}

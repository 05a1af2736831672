package dev.hyperattention4j.cli.train;

import dev.hyperattention4j.cli.Range;
import picocli.CommandLine.Option;

/** The worker thread count of the training commands (a picocli mixin). */
public final class ThreadsOption {
    @Range(min = 1, max = 1024)
    @Option(names = {"-t", "--threads"}, paramLabel = "N", description = "Worker threads (default: available "
            + "processors = ${DEFAULT-VALUE}).")
    int threads = Runtime.getRuntime().availableProcessors();
}

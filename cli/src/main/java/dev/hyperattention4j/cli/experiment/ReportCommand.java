package dev.hyperattention4j.cli.experiment;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ha4j report}: (re)writes RESULTS.md and the plots from the experiment JSON files in a directory. */
@Command(name = "report", mixinStandardHelpOptions = true,
        description = "Write RESULTS.md (tables, PNG plots, machine, settings, what was not reproduced) from the "
                + "experiment results in --out.")
public final class ReportCommand implements Callable<Integer> {
    @Option(names = "--out", defaultValue = "ha4j-results", description = "results directory (default ${DEFAULT-VALUE})")
    Path out;

    @Override
    public Integer call() throws Exception {
        if (!Files.isDirectory(out)) {
            System.err.println("report: " + out + " is not a directory; run an experiment with --out " + out + " first");
            return 1;
        }
        System.out.println(ReportWriter.write(out).toAbsolutePath());
        return 0;
    }
}

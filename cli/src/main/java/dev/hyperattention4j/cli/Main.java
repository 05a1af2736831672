package dev.hyperattention4j.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code ha4j} program: one entry point, one subcommand per job. */
@Command(name = "ha4j", mixinStandardHelpOptions = true, version = "hyperattention4j 0.1.0",
        description = "HyperAttention and exact attention on CPUs: benchmarks, model tools, paper experiments.",
        subcommands = {
                CommandLine.HelpCommand.class,
                InspectCommand.class,
                dev.hyperattention4j.cli.bench.BenchCommand.class,
                BenchHyperCommand.class,
                PplCommand.class,
                GenerateCommand.class,
                BenchModelCommand.class,
                BenchBackwardCommand.class,
                dev.hyperattention4j.cli.experiment.ExperimentCommand.class,
                dev.hyperattention4j.cli.experiment.ReportCommand.class,
        })
public final class Main implements Runnable {

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The configured command line (also used by tests). */
    static CommandLine commandLine() {
        return new CommandLine(new Main()).setExecutionExceptionHandler(Main::reportFailure);
    }

    /**
     * A runtime failure (missing file, bad model, invalid value) is one line on stderr and exit code 1; the stack
     * trace only with {@code -Dha4j.debug=true}.
     */
    static int reportFailure(Exception e, CommandLine cl, CommandLine.ParseResult parsed) {
        if (Boolean.getBoolean("ha4j.debug")) {
            e.printStackTrace();
        }
        String msg = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        String kind = e instanceof java.nio.file.NoSuchFileException ? "no such file: " : "";
        cl.getErr().println("error: " + kind + msg);
        return 1;
    }
}

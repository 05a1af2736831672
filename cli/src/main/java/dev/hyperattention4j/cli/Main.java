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
        System.exit(new CommandLine(new Main()).execute(args));
    }
}

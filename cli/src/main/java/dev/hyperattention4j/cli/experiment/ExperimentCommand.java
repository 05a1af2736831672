package dev.hyperattention4j.cli.experiment;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code ha4j experiment …}: the paper's figures, each resumable, with JSON, table, PNG and RESULTS.md output. */
@Command(name = "experiment", mixinStandardHelpOptions = true,
        description = {"Reproduce the paper's experiments: patched-layers, single-layer, fidelity.",
                "Results, plots and RESULTS.md go to --out (default ha4j-results); an interrupted run resumes."},
        subcommands = {CommandLine.HelpCommand.class, PatchedLayersExperiment.class, SingleLayerExperiment.class,
                FidelityExperiment.class})
public final class ExperimentCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }
}

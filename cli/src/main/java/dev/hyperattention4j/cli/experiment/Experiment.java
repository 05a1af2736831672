package dev.hyperattention4j.cli.experiment;

import dev.hyperattention4j.cli.HyperAttentionOptions;
import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * What every experiment command shares: the experiment options and HyperAttention's options (mixins), the command
 * spec (the report quotes the command line), and bad settings as one-line errors ({@link Experiments#guarded}).
 */
abstract class Experiment implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin ExperimentOptions opts;
    @Mixin HyperAttentionOptions hyperOptions;

    @Override
    public final Integer call() throws Exception {
        return Experiments.guarded(spec.name(), this::execute);
    }

    /** Runs the experiment; its exit code. */
    abstract Integer execute() throws Exception;
}

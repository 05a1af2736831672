package dev.hyperattention4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hyperattention4j.attention.hyper.HyperConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import picocli.CommandLine;

/** One {@code bench} command with modes; the former command names stay as aliases; option spellings agree. */
class BenchModesTest {

    @Test
    void benchListsItsModes() {
        CliRun run = CliRun.of("bench", "--help");
        assertThat(run.exit()).isZero();
        assertThat(run.out()).contains("exact", "hyper", "backward", "model", "cold", "train");
    }

    /** main() registers only the named command: bench must still bring its modes. */
    @Test
    void modesArePresentWhenOnlyBenchIsRegistered() {
        CommandLine cl = Main.commandLine("bench", "hyper", "--help");
        assertThat(cl.getSubcommands()).containsOnlyKeys("bench");
        assertThat(cl.getSubcommands().get("bench").getSubcommands())
                .containsOnlyKeys("exact", "hyper", "backward", "model", "cold", "train");
    }

    /** bench cold times a first call and the later ones and reports their ratio; a bad mask is a usage error. */
    @Test
    void coldModeReportsFirstAgainstSteady() {
        CliRun run = CliRun.of("bench", "cold", "--n", "300", "--dim", "16", "--heads", "2", "--calls", "3",
                "--threads", "1", "--mask", "full");
        assertThat(run.exit()).isZero();
        assertThat(run.out()).contains("n=300 d=16 heads=2 full", "call 1:", "call 3:", "first/steady");
        assertThat(run.out()).containsPattern("first/steady \\d+\\.\\d\\d");
        CliRun bad = CliRun.of("bench", "cold", "--mask", "both");
        assertThat(bad.exit()).isEqualTo(2);
        assertThat(bad.err()).contains("--mask must be causal or noncausal");
    }

    /** Each mode and its former top-level name parse the same options into the same command class. */
    @ParameterizedTest
    @CsvSource({"hyper,bench-hyper,BenchHyperCommand", "backward,bench-backward,BenchBackwardCommand",
            "model,bench-model,BenchModelCommand", "exact,bench,Exact"})
    void modesAndTheirOldNamesAreTheSameCommands(String mode, String oldName, String className) {
        CommandLine bench = Main.commandLine().getSubcommands().get("bench");
        Object viaMode = bench.getSubcommands().get(mode).getCommand();
        Object viaOldName = Main.commandLine().getSubcommands().get(oldName).getCommand();
        assertThat(viaMode.getClass().getSimpleName()).isEqualTo(className);
        assertThat(viaMode.getClass()).isAssignableTo(viaOldName.getClass());
        assertThat(CliRun.of("bench", mode, "--help").out()).contains("Usage: ha4j bench " + mode);
    }

    /** --sizes/--n and --dims/--dim are spellings of one option wherever they appear. */
    @Test
    void sizeAndDimSpellingsAreAliases() {
        BenchHyperCommand a = new BenchHyperCommand(), b = new BenchHyperCommand();
        new CommandLine(a).parseArgs("--sizes", "512,1024", "--dims", "16");
        new CommandLine(b).parseArgs("--n", "512,1024", "--dim", "16");
        assertThat(b.sizes).containsExactly(a.sizes);
        assertThat(b.dims).containsExactly(a.dims);
    }

    /** HyperAttention's options are one mixin: old and new spellings give one configuration. */
    @Test
    void hyperOptionsHaveOneMeaning() {
        BenchHyperCommand a = new BenchHyperCommand(), b = new BenchHyperCommand();
        new CommandLine(a).parseArgs("--block", "32", "--samples", "64", "--projections", "3", "--min-seq-len", "128");
        new CommandLine(b).parseArgs("--hyper-b", "32", "--hyper-m", "64", "--hyper-r", "3",
                "--hyper-min-seq-len", "128");
        HyperConfig ca = a.hyperOptions.config(1, 0), cb = b.hyperOptions.config(1, 0);
        assertThat(ca).isEqualTo(cb);
        assertThat(ca.minSeqLen()).isEqualTo(128);
        assertThat(new HyperAttentionOptions().config(7, 0)).isEqualTo(HyperConfig.defaults().withSeed(7));
    }
}

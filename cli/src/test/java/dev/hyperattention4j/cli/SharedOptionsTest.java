package dev.hyperattention4j.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The option mixins the attention benchmarks and experiments share: {@link MaskOption}, {@link SweepOptions}. */
class SharedOptionsTest {

    private static boolean[] masks(String value) {
        MaskOption m = new MaskOption();
        m.mask = value;
        return m.masks();
    }

    @Test
    void maskValues() {
        assertThat(masks("noncausal")).containsExactly(false);
        assertThat(masks("full")).containsExactly(false);
        assertThat(masks("causal")).containsExactly(true);
        assertThat(masks("both")).containsExactly(false, true);
        assertThat(new MaskOption().masks()).as("default").containsExactly(false, true);
        assertThatThrownBy(() -> masks("diagonal")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("--mask must be noncausal (= full), causal or both, got diagonal");
        MaskOption bad = new MaskOption();
        bad.mask = "diagonal";
        assertThatThrownBy(() -> bad.masks(new BenchHyperCommand()))
                .isInstanceOf(CommandLine.ParameterException.class).hasMessageContaining("got diagonal");
    }

    @ParameterizedTest
    @ValueSource(strings = {"bench-hyper", "bench-backward"})
    void benchmarksShareHeadsMaskThreadsSeedAndJson(String command) {
        assertThat(Main.commandLine().getSubcommands().get(command).getUsageMessage())
                .contains("--heads", "--mask", "--threads", "--seed", "--json");
        CommandLine cl = new CommandLine(command.equals("bench-hyper") ? new BenchHyperCommand()
                : new BenchBackwardCommand());
        cl.parseArgs("--heads", "3", "--mask", "causal", "--threads", "2", "--seed", "7", "--json");
        SweepOptions sweep = command.equals("bench-hyper") ? ((BenchHyperCommand) cl.getCommand()).sweep
                : ((BenchBackwardCommand) cl.getCommand()).sweep;
        assertThat(sweep.heads).isEqualTo(3);
        assertThat(sweep.threadCount()).isEqualTo(2);
        assertThat(sweep.seed).isEqualTo(7);
        assertThat(sweep.json).isTrue();
        MaskOption mask = command.equals("bench-hyper") ? ((BenchHyperCommand) cl.getCommand()).maskOption
                : ((BenchBackwardCommand) cl.getCommand()).maskOption;
        assertThat(mask.masks()).containsExactly(true);
    }

    @Test
    void benchBackwardFromBenchKeepsItsSettings() {
        BenchBackwardCommand c = BenchBackwardCommand.of(new int[] {1024}, 32, "full", 2, 1, 5, true);
        assertThat(c.maskOption.masks()).containsExactly(false);
        assertThat(c.sweep.heads).isEqualTo(1);
        assertThat(c.sweep.threadCount()).isEqualTo(2);
        assertThat(c.sweep.seed).isEqualTo(5);
        assertThat(c.sweep.json).isTrue();
    }

    @Test
    void aBadMaskIsAUsageErrorOfTheBenchmarks() {
        assertThat(Main.commandLine().execute("bench-hyper", "--mask", "diagonal", "--sizes", "64")).isEqualTo(2);
        assertThat(Main.commandLine().execute("bench-backward", "--mask", "diagonal", "--sizes", "64")).isEqualTo(2);
    }

    @Test
    void forkedBenchmarkJvmsGetThisJvmsOptionsButNotItsClassDataArchive() {
        List<String> own = java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments();
        List<String> forwarded = BenchHyperCommand.forwardedJvmOptions();
        assertThat(String.join(" ", forwarded)).contains("jdk.incubator.vector");
        assertThat(forwarded).noneMatch(a -> a.contains("Archive") || a.startsWith("-Xlog") || a.startsWith("-javaagent"));
        assertThat(forwarded).containsAll(own.stream().filter(a -> a.startsWith("-Xss") || a.startsWith("-Xmx")
                || a.startsWith("-XX:ObjectAlignmentInBytes")).toList());
    }
}

package dev.hyperattention4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * {@code ha4j bench train} on a tiny model: throughput against the measured peak with the phases of a step, and the
 * HyperAttention / exact layer ratio of a mixed step (HyperAttention approximating from 32 tokens on).
 */
class BenchTrainCommandTest {
    @Test
    void reportsThroughputPhasesAndTheLayerRatio() {
        CliRun run = CliRun.of("bench", "train", "--dim", "16", "--layers", "2", "--heads", "2", "--ffn", "32",
                "--vocab", "64", "-c", "64", "--steps", "1", "--hyper-sizes", "128", "--hyper-b", "16",
                "--hyper-m", "16", "--hyper-min-seq-len", "32", "-t", "1", "--cpu-time");
        assertThat(run.exit()).as(run.err()).isZero();
        assertThat(run.out()).containsPattern("exact attention, context 64, batch 1: \\d+\\.\\d+ s/step, \\d+ tok/s, "
                + "\\d+\\.\\d model GFLOP/s = \\d+\\.\\d % of the FMA peak");
        assertThat(run.out()).contains("linear weight gradient", "exact attention backward", "output head + loss");
        assertThat(run.out()).contains("context 128, one step, HyperAttention (b=16, m=16, r=7, exact up to 32 "
                + "tokens) in the last 1 of 2 layers");
        assertThat(run.out()).containsPattern("HyperAttention layer / exact layer: \\d+\\.\\d\\d \\(attention alone: "
                + "\\d+\\.\\d\\d\\)");
    }

    @Test
    void aLayerComparisonNeedsTwoLayers() {
        CliRun run = CliRun.of("bench", "train", "--layers", "1", "--hyper-sizes", "128");
        assertThat(run.exit()).isIn(1, 2);
        assertThat(run.err().strip()).startsWith("error:").doesNotContain("\n")
                .contains("--hyper-sizes needs at least 2 --layers");
    }
}

package dev.hyperattention4j.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * {@code ha4j bench} end to end on a tiny sweep: every configuration asked for appears, and every printed figure
 * follows from the others as the header says (flops 4·nq·nk·d, half when causal; GFLOP/s = flops / median time;
 * % of peak against the measured peak of the row's thread count; the baselines' ratio to the exact kernel).
 */
class BenchCommandRunTest {

    @Test
    void theJsonReportHoldsEveryPointAndItsFiguresAgree() throws Exception {
        CliRun run = CliRun.of("bench", "--json", "--no-hyper", "--n", "64", "--baseline-n", "32", "--dims", "8",
                "--threads", "1,2", "--rounds", "1", "--warmup", "0");
        assertThat(run.exit()).as(run.err()).isZero();
        JsonNode report = new ObjectMapper().readTree(run.out());
        double peak1 = report.at("/fmaPeakGflops/oneThread").asDouble();
        double peakAll = report.at("/fmaPeakGflops/allThreads").asDouble();
        assertThat(peak1).isPositive();
        assertThat(peakAll).isGreaterThanOrEqualTo(peak1 * 0.5);

        Set<String> seen = new HashSet<>();
        double[] flashMs = new double[2];     // n = 32, non-causal, one thread: the baselines' reference
        for (JsonNode row : report.get("results")) {
            String impl = row.get("implementation").asText();
            int n = row.get("n").asInt(), d = row.get("headDim").asInt(), threads = row.get("threads").asInt();
            boolean causal = row.get("causal").asBoolean();
            seen.add(impl + " n=" + n + " causal=" + causal + " t=" + threads);
            double flops = 4.0 * n * n * d * (causal ? 0.5 : 1.0);
            double ms = row.get("medianMs").asDouble();
            assertThat(ms).isPositive();
            assertThat(row.get("minMs").asDouble()).isLessThanOrEqualTo(ms);
            assertThat(row.get("maxMs").asDouble()).isGreaterThanOrEqualTo(ms);
            assertThat(row.get("gflops").asDouble()).isCloseTo(flops / (ms * 1e6), within(1e-9 * flops / (ms * 1e6)));
            double peak = threads == 1 ? peak1 : peakAll;
            assertThat(row.get("percentOfPeak").asDouble())
                    .isCloseTo(100 * row.get("gflops").asDouble() / peak, within(1e-6));
            assertThat(row.get("relativeError").asDouble()).as(impl).isLessThan(1e-5);
            if (impl.equals("flash")) {
                assertThat(row.get("speedupVsExact").asDouble()).isEqualTo(1.0);
                if (n == 32 && threads == 1) {
                    flashMs[causal ? 1 : 0] = ms;
                }
            }
        }
        for (JsonNode row : report.get("results")) {
            if (!row.get("implementation").asText().equals("flash")) {
                double exactMs = flashMs[row.get("causal").asBoolean() ? 1 : 0];
                assertThat(row.get("speedupVsExact").asDouble())
                        .isCloseTo(exactMs / row.get("medianMs").asDouble(), within(1e-9));
            }
        }
        for (boolean causal : new boolean[] {false, true}) {
            for (int t : new int[] {1, 2}) {
                assertThat(seen).contains("flash n=64 causal=" + causal + " t=" + t);
            }
            assertThat(seen).contains("flash n=32 causal=" + causal + " t=1", "naive-loop n=32 causal=" + causal + " t=1",
                    "matmul-softmax n=32 causal=" + causal + " t=1");
        }
    }
}

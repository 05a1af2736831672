package dev.hyperattention4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hyperattention4j.llm.testing.SharedData;
import org.junit.jupiter.api.Test;

/**
 * ppl --compare in both orders: the same two runs (same perplexities, whichever goes first), the first run named,
 * the speed-up patched/exact computed from the runs, the warm-up stated.
 */
class PplCompareOrderTest {

    static JsonNode ppl(String order, String warmup) throws Exception {
        String model = SharedData.require("models/stories260K/stories260K.bin").toString();
        String text = SharedData.require("texts/alice.txt").toString();
        CliRun r = CliRun.of("ppl", model, "-f", text, "-c", "128", "--chunks", "1", "--patch-last", "2",
                "--hyper-min-seq-len", "32", "--hyper-b", "16", "--hyper-m", "16", "--compare", "--compare-order", order,
                "--warmup", warmup, "--json", "-t", "1");
        assertThat(r.exit()).as(r.err()).isZero();
        return new ObjectMapper().readTree(r.out());
    }

    @Test
    void bothOrdersRunTheSameTwoComputations() throws Exception {
        JsonNode patchedFirst = ppl("patched", "1"), exactFirst = ppl("exact", "0");
        assertThat(patchedFirst.get("first_run").asText()).isEqualTo("patched");
        assertThat(exactFirst.get("first_run").asText()).isEqualTo("exact");
        assertThat(patchedFirst.get("warmup_windows").asInt()).isEqualTo(1);
        assertThat(exactFirst.get("warmup_windows").asInt()).isZero();
        JsonNode a = patchedFirst.get("runs"), b = exactFirst.get("runs");
        assertThat(a.get(0).get("attention").asText()).startsWith("hyper");
        assertThat(b.get(0).get("attention").asText()).startsWith("exact");
        // the same perplexities whichever run came first (and HyperAttention really ran: it differs from exact)
        assertThat(a.get(0).get("perplexity").asDouble()).isEqualTo(b.get(1).get("perplexity").asDouble());
        assertThat(a.get(1).get("perplexity").asDouble()).isEqualTo(b.get(0).get("perplexity").asDouble());
        assertThat(a.get(0).get("perplexity").asDouble()).isNotEqualTo(a.get(1).get("perplexity").asDouble());
        for (JsonNode doc : new JsonNode[] {patchedFirst, exactFirst}) {
            JsonNode runs = doc.get("runs");
            int p = doc.get("first_run").asText().equals("patched") ? 0 : 1;
            assertThat(doc.get("speedup").asDouble()).isEqualTo(runs.get(p).get("tokens_per_second").asDouble()
                    / runs.get(1 - p).get("tokens_per_second").asDouble());
            // the CPU-time estimate beside it (the working threads' CPU time; what a busy host does not disturb)
            double cpuPatched = runs.get(p).get("tokens_per_cpu_second_estimate").asDouble();
            double cpuExact = runs.get(1 - p).get("tokens_per_cpu_second_estimate").asDouble();
            assertThat(cpuPatched).isPositive();
            assertThat(cpuExact).isPositive();
            assertThat(doc.get("speedup_cpu_estimate").asDouble()).isEqualTo(cpuPatched / cpuExact);
            assertThat(doc.get("relative_difference").asDouble()).isEqualTo(runs.get(p).get("perplexity").asDouble()
                    / runs.get(1 - p).get("perplexity").asDouble() - 1);
        }
    }

    @Test
    void warmupIsValidated() {
        String model = SharedData.require("models/stories260K/stories260K.bin").toString();
        CliRun r = CliRun.of("ppl", model, "-f", "x.txt", "--warmup", "-1", "--compare", "--patch-last", "1");
        assertThat(r.exit()).isNotZero();
        assertThat(r.err()).contains("--warmup: -1 is outside the accepted range 0 to 100");
    }
}

package dev.hyperattention4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hyperattention4j.llm.testing.SharedData;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** generate's llama.cpp-style options on the shared stories260K model. */
class GenerateOptionsTest {

    static String model() {
        return SharedData.require("models/stories260K/stories260K.bin").toString();
    }

    static JsonNode json(CliRun r) throws Exception {
        assertThat(r.exit()).as(r.err()).isZero();
        return new ObjectMapper().readTree(r.out());
    }

    @Test
    void tempIsAnAliasAndTheSamplingOptionsReachTheSampler() throws Exception {
        JsonNode doc = json(CliRun.of("generate", model(), "-p", "Zoo", "-n", "5", "--temp", "0.5", "--top-k", "7",
                "--top-p", "0.8", "--min-p", "0.1", "--repeat-penalty", "1.3", "--repeat-last-n", "12",
                "--frequency-penalty", "0.2", "--presence-penalty", "0.1", "--seed", "9", "--json", "-t", "1"));
        JsonNode s = doc.get("sampling");
        assertThat(s.get("temperature").asDouble()).isEqualTo(0.5);
        assertThat(s.get("topK").asInt()).isEqualTo(7);
        assertThat(s.get("topP").floatValue()).isEqualTo(0.8f);
        assertThat(s.get("minP").floatValue()).isEqualTo(0.1f);
        assertThat(s.get("repeatPenalty").floatValue()).isEqualTo(1.3f);
        assertThat(s.get("repeatLastN").asInt()).isEqualTo(12);
        assertThat(s.get("seed").asLong()).isEqualTo(9);
    }

    /** The warm-up prints its throwaway text into nothing (through the command's own printer class) and leaves the
     *  generation unchanged. */
    @Test
    void theWarmUpPrintsNothingAndChangesNothing() {
        CliRun plain = CliRun.of("generate", model(), "-p", "Zoo", "-n", "40", "--seed", "9", "-t", "1");
        CliRun warm = CliRun.of("generate", model(), "-p", "Zoo", "-n", "40", "--seed", "9", "-t", "1", "--warmup");
        assertThat(plain.exit()).as(plain.err()).isZero();
        assertThat(warm.exit()).as(warm.err()).isZero();
        assertThat(warm.err()).contains("throwaway decode steps");
        assertThat(warm.out()).startsWith("Zoo").isEqualTo(plain.out());
    }

    @Test
    void streamedTextPrintsEveryPieceAndTimesTheFirst() {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        StreamedText text = new StreamedText(bytes, true);
        assertThat(text.firstPiece()).isNull();
        text.printNow("Zoo");
        assertThat(text.firstPiece()).isNull();   // the prompt is not a generated piece
        for (String piece : new String[] {" é", "t", "€", "\n"}) {
            text.accept(piece);
        }
        text.flush();
        assertThat(bytes.toString(StandardCharsets.UTF_8)).isEqualTo("Zoo ét€\n");
        assertThat(text.firstPiece()).isNotNull();
        assertThat(text.firstPieceCpu()).isPositive();
        StreamedText quiet = new StreamedText(bytes, false);
        quiet.accept("not printed");
        quiet.flush();
        assertThat(bytes.toString(StandardCharsets.UTF_8)).isEqualTo("Zoo ét€\n");
        assertThat(quiet.firstPiece()).isNotNull();
    }

    @Test
    void seedIsRandomAndPrintedWhenNotGiven() throws Exception {
        CliRun a = CliRun.of("generate", model(), "-p", "Zoo", "-n", "3", "--json", "-t", "1");
        CliRun b = CliRun.of("generate", model(), "-p", "Zoo", "-n", "3", "--json", "-t", "1");
        long sa = json(a).get("sampling").get("seed").asLong(), sb = json(b).get("sampling").get("seed").asLong();
        assertThat(a.err()).contains("seed: " + sa);
        assertThat(sa).isNotEqualTo(sb);
        // the printed seed reproduces the run
        CliRun again = CliRun.of("generate", model(), "-p", "Zoo", "-n", "3", "--json", "-t", "1", "--seed",
                Long.toString(sa));
        assertThat(json(again).get("text").asText()).isEqualTo(json(a).get("text").asText());
        assertThat(again.err()).doesNotContain("seed:");
    }

    @Test
    void repeatedStopsEndTheTextBeforeTheFirst() throws Exception {
        // greedy golden text: "Zoo was a little girl named Lily. She loved to play outside in the park. ..."
        JsonNode doc = json(CliRun.of("generate", model(), "-p", "Zoo", "-n", "100", "--temp", "0", "--stop", "park",
                "--stop", "Lily", "--json", "-t", "1"));
        assertThat(doc.get("text").asText()).isEqualTo(" was a little girl named ");
        assertThat(doc.get("stop").asText()).isEqualTo("stop string");
        CliRun streamed = CliRun.of("generate", model(), "-p", "Zoo", "-n", "100", "--temp", "0", "--stop", "Lily",
                "-t", "1");
        assertThat(streamed.out()).isEqualTo("Zoo was a little girl named \n");
    }

    @Test
    void promptFromAFileOrStandardInput(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("prompt.txt");
        Files.writeString(f, "Zoo", StandardCharsets.UTF_8);
        String fromP = json(CliRun.of("generate", model(), "-p", "Zoo", "-n", "8", "--temp", "0", "--json", "-t", "1"))
                .get("text").asText();
        JsonNode fromFile = json(CliRun.of("generate", model(), "-f", f.toString(), "-n", "8", "--temp", "0", "--json",
                "-t", "1"));
        assertThat(fromFile.get("prompt").asText()).isEqualTo("Zoo");
        assertThat(fromFile.get("text").asText()).isEqualTo(fromP);
        InputStream old = System.in;
        try {
            System.setIn(new ByteArrayInputStream("Zoo".getBytes(StandardCharsets.UTF_8)));
            JsonNode dash = json(CliRun.of("generate", model(), "-f", "-", "-n", "8", "--temp", "0", "--json", "-t", "1"));
            assertThat(dash.get("text").asText()).isEqualTo(fromP);
            System.setIn(new ByteArrayInputStream("Zoo".getBytes(StandardCharsets.UTF_8)));
            JsonNode piped = json(CliRun.of("generate", model(), "-n", "8", "--temp", "0", "--json", "-t", "1"));
            assertThat(piped.get("prompt").asText()).isEqualTo("Zoo");
        } finally {
            System.setIn(old);
        }
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "--temp|-0.5|--temperature: -0.5 is outside the accepted range 0 to 100",
            "--temp|NaN|--temperature: NaN is outside the accepted range 0 to 100",
            "--top-k|-1|--top-k: -1 is outside the accepted range 0 to 4194304",
            "--top-p|0|--top-p must be in (0, 1]",
            "--top-p|1.5|--top-p: 1.5 is outside the accepted range 0 to 1",
            "--min-p|-0.1|--min-p: -0.1 is outside the accepted range 0 to 1",
            "--repeat-penalty|0|--repeat-penalty must be in (0, 10]",
            "--repeat-last-n|-2|--repeat-last-n: -2 is outside the accepted range 0 to 1048576",
            "--frequency-penalty|3|--frequency-penalty: 3.0 is outside the accepted range -2 to 2",
            "--presence-penalty|-3|--presence-penalty: -3.0 is outside the accepted range -2 to 2",
            "--max-tokens|-1|--max-tokens: -1 is outside the accepted range 0 to 16777216",
            "--stop|''|--stop must not be empty",
            "-f|no-such-prompt.txt|no such file: no-such-prompt.txt"})
    void badOptionsGetAOneLineError(String option, String value, String message) {
        CliRun r = option.equals("--max-tokens") ? CliRun.of("generate", model(), option, value, "-t", "1")
                : CliRun.of("generate", model(), option, value, "-n", "2", "-t", "1");
        assertThat(r.exit()).isNotZero();
        assertThat(r.err().strip()).startsWith("error: ").contains(message).doesNotContain("Exception").hasLineCount(1);
    }

    @Test
    void promptTwiceIsRefused() {
        CliRun r = CliRun.of("generate", model(), "-p", "a", "-f", "x.txt", "-n", "2");
        assertThat(r.exit()).isNotZero();
        assertThat(r.err()).contains("-p or with -f, not both");
    }

    /** The launcher's start time: a later instant counts from it; garbage or a stale value is ignored. */
    @Test
    void launchClock() {
        Instant now = Instant.now();
        long nanos = now.getEpochSecond() * 1_000_000_000L + now.getNano();
        assertThat(StartClock.sinceLaunch(now, Long.toString(nanos - 1_500_000_000L)).getAsDouble())
                .isCloseTo(1.5, org.assertj.core.data.Offset.offset(1e-6));
        assertThat(StartClock.sinceLaunch(now, "abc")).isEmpty();
        assertThat(StartClock.sinceLaunch(now, Long.toString(nanos + 1_000_000_000L))).isEmpty();
        assertThat(StartClock.sinceLaunch(now, null)).isEmpty();
        // the JVM started before this test ran, and not days ago
        assertThat(StartClock.sinceJvmStart(now)).isPositive().isLessThan(24 * 3600);
    }

    /**
     * The first token comes after the JVM started and before the command returned: the reported time since the
     * JVM's start lies between the JVM's uptime before and after the run (the old clock, the OS process start
     * instant, could exceed the whole run).
     */
    @Test
    void timeToFirstTokenLiesWithinTheRun() throws Exception {
        var rt = java.lang.management.ManagementFactory.getRuntimeMXBean();
        double before = rt.getUptime() / 1e3;
        JsonNode doc = json(CliRun.of("generate", model(), "-p", "Zoo", "-n", "3", "--temp", "0", "--json", "-t", "1"));
        double after = rt.getUptime() / 1e3;
        double ttft = doc.get("first_token_seconds_since_jvm_start").asDouble();
        assertThat(ttft).isBetween(before - 0.002, after + 0.002);   // uptime is in whole milliseconds
    }
}

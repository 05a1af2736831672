package dev.hyperattention4j.llm.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hyperattention4j.llm.model.Model;
import dev.hyperattention4j.llm.model.ModelLoader;
import dev.hyperattention4j.llm.testing.SharedData;
import dev.hyperattention4j.llm.testing.TestPools;
import dev.hyperattention4j.runtime.WorkerPool;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The golden values of {@code models/README.md} (an independent float64 implementation): last-position argmax and
 * max logit within 1e-3 relative, the greedy continuation exactly, the per-story perplexity within 0.5% over exactly
 * the reference's number of predicted tokens.
 */
class GoldenValuesTest {
    static final WorkerPool pool = TestPools.twoThreads();

    static Path model(String name) {
        return name.equals("stories260K") ? SharedData.stories260k() : SharedData.tinystories656k();
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "stories260K|Zoo|1 410 469 347|286|10.4635|3.7600|1817",
            "tinystories-656k|Once upon a time|1 80 147 201 282 57|313|17.3808|20.1518|866"})
    void goldenValues(String name, String prompt, String promptIds, int argmax, float maxLogit, double ppl,
                      long predicted) throws Exception {
        Path sample = SharedData.require("texts/tinystories_sample.txt");
        try (Model m = ModelLoader.open(model(name))) {
            LlamaModel model = LlamaModel.of(m);
            LlamaSession session = model.newSession(512, AttentionPlan.exact(new RowwiseAttention(pool)), pool);
            int[] ids = m.tokenizer().encode(prompt, true);
            assertThat(ids).containsExactly(java.util.Arrays.stream(promptIds.split(" "))
                    .mapToInt(Integer::parseInt).toArray());
            float[] logits = session.forwardLast(ids);
            int vocab = m.config().vocabSize();
            assertThat(Sampler.argmax(logits, vocab)).isEqualTo(argmax);
            assertThat(logits[argmax]).isCloseTo(maxLogit, org.assertj.core.data.Percentage.withPercentage(0.1));

            List<int[]> stories = Stories.encode(Files.readString(sample), m.tokenizer(), 512);
            // BOS, then the dummy prefix as its own token ("Once" of the first story does not absorb it)
            assertThat(stories.getFirst()).startsWith(ids[0], ids[1]);
            Perplexity.Result r = Perplexity.sequences(session, stories, Stories.protocol(512), null);
            // the README's protocol (see Stories): exactly the reference's predicted tokens and its perplexity
            assertThat(r.tokensScored()).isEqualTo(predicted);
            assertThat(r.perplexity()).isCloseTo(ppl, org.assertj.core.data.Percentage.withPercentage(0.5));
        }
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "stories260K|Zoo|200|Zoo was a little girl named Lily. She loved to play outside in the park. One day, she saw a big, red ball. She wanted to play with it, but she didn't want to play with it.",
            "tinystories-656k|Once upon a time|40|, a little girl named Lily lived in a small house with her mom, dad, and her dog, Spot, Spot, loved to play all day. One day, Lily saw a small bird on the ground."})
    void greedyContinuation(String name, String prompt, int tokens, String expected) throws Exception {
        try (Model m = ModelLoader.open(model(name))) {
            LlamaSession session = LlamaModel.of(m).newSession(512, AttentionPlan.exact(new RowwiseAttention(pool)),
                    pool);
            StringBuilder streamed = new StringBuilder();
            Generator.Result r = Generator.generate(session, m.tokenizer(), m.tokenizer().encode(prompt, true), tokens,
                    new Sampler(SamplingParams.greedy()), streamed::append);
            assertThat(streamed.toString()).isEqualTo(r.text());
            // the 260K golden text includes the prompt; the 656k one is the continuation only
            String withPrompt = (m.tokenizer().decode(r.promptTokens()) + r.text()).strip();
            assertThat(name.equals("stories260K") ? withPrompt : r.text()).startsWith(expected);
        }
    }

    /**
     * A stop string ends the greedy golden continuation just before its first occurrence, also when it spans
     * several tokens; neither the returned nor the streamed text contains it.
     */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "stories260K|Zoo|200|named Lily|'Zoo was a little girl '",
            "stories260K|Zoo|200|park. One|'Zoo was a little girl named Lily. She loved to play outside in the '",
            "tinystories-656k|Once upon a time|40|her dog|', a little girl named Lily lived in a small house with her mom, dad, and '"})
    void stopStringCutsTheGoldenContinuation(String name, String prompt, int tokens, String stop, String expected)
            throws Exception {
        try (Model m = ModelLoader.open(model(name))) {
            LlamaSession session = LlamaModel.of(m).newSession(512, AttentionPlan.exact(new RowwiseAttention(pool)),
                    pool);
            StringBuilder streamed = new StringBuilder();
            Generator.Result r = Generator.generate(session, m.tokenizer(), m.tokenizer().encode(prompt, true), tokens,
                    new Sampler(SamplingParams.greedy()), List.of("no such text", stop), streamed::append);
            assertThat(r.stopReason()).isEqualTo("stop string");
            assertThat(streamed.toString()).isEqualTo(r.text());
            String withPrompt = name.equals("stories260K") ? (m.tokenizer().decode(r.promptTokens()) + r.text()).stripLeading()
                    : r.text();
            assertThat(withPrompt).isEqualTo(expected);
        }
    }
}

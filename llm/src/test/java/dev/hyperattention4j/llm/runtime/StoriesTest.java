package dev.hyperattention4j.llm.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hyperattention4j.llm.model.Model;
import dev.hyperattention4j.llm.model.ModelLoader;
import dev.hyperattention4j.llm.testing.SharedData;
import dev.hyperattention4j.llm.tokenizer.Tokenizer;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * The story protocol's token layout on the two real tokenizers: BOS, the dummy prefix as its own token, each line as
 * a continuation, the newline token between lines; the tokenizer's own {@code encode} is unchanged (llama2.c's
 * run.c still merges the dummy prefix into the first word).
 */
class StoriesTest {
    static int[] concat(int[]... parts) {
        return java.util.Arrays.stream(parts).flatMapToInt(IntStream::of).toArray();
    }

    @Test
    void llama2cLayout() throws Exception {
        try (Model m = ModelLoader.open(SharedData.stories260k())) {
            Tokenizer tok = m.tokenizer();
            assertThat(tok.encode("Once upon", true)).containsExactly(1, 403, 407); // " Once", " upon" as in run.c
            assertThat(tok.dummyPrefix()).containsExactly(410);                       // " "
            assertThat(tok.encodeContinuation("Once upon")).containsExactly(441, 416, 331, 407); // O n ce " upon"
            assertThat(tok.encodeContinuation("\n")).containsExactly(13);             // <0x0A>
            assertThat(Stories.encodeLines("Once upon\nHe said", tok)).containsExactly(concat(new int[] {1, 410},
                    tok.encodeContinuation("Once upon"), new int[] {13}, tok.encodeContinuation("He said")));
        }
    }

    @Test
    void hfLayoutDoesNotMergeAcrossNewlines() throws Exception {
        try (Model m = ModelLoader.open(SharedData.tinystories656k())) {
            Tokenizer tok = m.tokenizer();
            assertThat(tok.dummyPrefix()).containsExactly(80);       // "▁"
            assertThat(tok.encodeContinuation("\n")).containsExactly(3);
            String story = "She was happy.\nThe cat sat.";
            int[] ids = Stories.encodeLines(story, tok);
            assertThat(ids).containsExactly(concat(new int[] {1, 80}, tok.encodeContinuation("She was happy."),
                    new int[] {3}, tok.encodeContinuation("The cat sat.")));
            // the whole text merges across the newline (".\nThe▁" is one piece): the protocol must not
            assertThat(tok.encode(story, true)).isNotEqualTo(ids);
        }
    }

    @Test
    void storiesAreSplitStrippedQuotedAndCapped() throws Exception {
        try (Model m = ModelLoader.open(SharedData.stories260k())) {
            Tokenizer tok = m.tokenizer();
            var out = Stories.encode("\n\u201cHi,\u201d he said.\n<|endoftext|>\n\n<|endoftext|> Once upon a time", tok, 4);
            assertThat(out).hasSize(2);
            assertThat(out.get(0)).containsExactly(java.util.Arrays.copyOf(
                    Stories.encodeLines("\"Hi,\" he said.", tok), 4));
            assertThat(out.get(1)).startsWith(1, 410).hasSize(4);
        }
    }
}

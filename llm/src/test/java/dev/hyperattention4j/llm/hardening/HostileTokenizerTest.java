package dev.hyperattention4j.llm.hardening;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hyperattention4j.llm.tokenizer.BpeTokenizer;
import dev.hyperattention4j.llm.tokenizer.HfTokenizerJson;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A tokenizer.json is code-like input: its Split regexes run on every text. A runaway regex must fail fast with a
 * clear error, never hang encode or kill the thread with a StackOverflowError (fuzz finding, docs/RELIABILITY.md).
 */
class HostileTokenizerTest {

    private static BpeTokenizer withSplit(Path dir, String regex) throws Exception {
        ObjectNode t = TinyModelFiles.tokenizerJson();
        ObjectNode split = t.putObject("pre_tokenizer").put("type", "Split").put("behavior", "Isolated");
        split.putObject("pattern").put("Regex", regex);
        Path file = dir.resolve("tokenizer.json");
        Files.writeString(file, t.toString());
        return HfTokenizerJson.read(file, 1, 2, 0);
    }

    @Test
    @Timeout(60)
    void catastrophicBacktrackingFailsFastInsteadOfHanging(@TempDir Path dir) throws Exception {
        // java.util.regex memoises simple nested loops such as (a+)+$, but not this: about 2.6e9 character reads
        // (50 s) on these 31 characters without a bound
        BpeTokenizer tok = withSplit(dir, "(.*a){12}x");
        String text = "a".repeat(30) + "b";
        long t0 = System.nanoTime();
        assertThatThrownBy(() -> tok.encode(text, true)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("the tokenizer's pre-tokenizer pattern '(.*a){12}x' backtracks catastrophically")
                .hasMessageContaining("characters; the tokenizer file is unusable for this text");
        assertThat((System.nanoTime() - t0) / 1e9).isLessThan(10);
    }

    @Test
    @Timeout(60)
    void deepGroupRepetitionFailsCleanlyInsteadOfOverflowingTheStack(@TempDir Path dir) throws Exception {
        BpeTokenizer tok = withSplit(dir, "(?:a|b)*c");
        String text = "ab".repeat(500_000);   // java.util.regex recurses once per repetition of the group
        assertThatThrownBy(() -> tok.encode(text, false)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("the tokenizer's pre-tokenizer pattern '(?:a|b)*c'");
        // the tokenizer stays usable for text its pattern can handle
        assertThat(tok.decode(tok.encode("ab ab", false))).isEqualTo("ab ab");
    }

    @Test
    void ordinaryPatternsStayWithinTheBudgetOnLongText(@TempDir Path dir) throws Exception {
        // Llama 3's pre-tokenizer regex on 200k characters of mixed text
        BpeTokenizer tok = withSplit(dir, "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}"
                + "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+");
        String text = "Once upon a time, in 1999, there were   many  spaces\n\n and ab's. ".repeat(3_000);
        assertThat(tok.decode(tok.encode(text, false))).isEqualTo(text);
    }
}

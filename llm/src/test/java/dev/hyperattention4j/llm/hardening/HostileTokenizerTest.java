package dev.hyperattention4j.llm.hardening;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hyperattention4j.llm.tokenizer.BpeTokenizer;
import dev.hyperattention4j.llm.tokenizer.HfTokenizerJson;
import dev.hyperattention4j.llm.tokenizer.TokenizerFormatException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A tokenizer.json is code-like input: its Split regexes run on every text. They run on a linear-time engine
 * (RE2/J, {@code SplitPattern}); a pattern too large for it, or using a construct without a linear-time meaning, is
 * refused at load, and a search pattern whose find-every-match loop is quadratic fails fast with a clear error,
 * never hanging encode (fuzz finding F4 and issue #25, docs/RELIABILITY.md).
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
    void patternsThatBacktrackCatastrophicallyInJavaRunInLinearTime(@TempDir Path dir) throws Exception {
        // java.util.regex: about 2.6e9 character reads (50 s) on these 31 characters; RE2/J: one pass
        BpeTokenizer tok = withSplit(dir, "(.*a){12}x");
        String text = "a".repeat(30) + "b";
        assertThat(tok.decode(tok.encode(text, false))).isEqualTo(text);
        // java.util.regex recursed once per repetition of the group and overflowed the stack on this
        BpeTokenizer group = withSplit(dir, "(?:a|b)*c");
        String ab = "ab".repeat(500_000);
        assertThat(group.decode(group.encode(ab, false))).isEqualTo(ab);
    }

    @Test
    @Timeout(60)
    void zeroWidthAndNestedRepetitionIsRefusedAtLoad(@TempDir Path dir) {
        // issue #25: this hung ppl and generate (zero-width repetition reads no character, so no read budget saw it)
        assertThatThrownBy(() -> withSplit(dir, "(?:(?:^){2000000000}){2000000000}"))
                .isInstanceOf(TokenizerFormatException.class)
                .hasMessageContaining("pre_tokenizer.pattern: cannot be compiled: error parsing regexp: invalid repeat "
                        + "count");
        // counts RE2/J accepts one by one, but whose product would overflow its compiler's stack or heap
        assertThatThrownBy(() -> withSplit(dir, "(?:(?:^){1000}){1000}"))
                .isInstanceOf(TokenizerFormatException.class)
                .hasMessageContaining("pre_tokenizer.pattern: expands to more than 5000 regex nodes");
        assertThatThrownBy(() -> withSplit(dir, "(?:(?:(?:a){1000}){1000}){1000}"))
                .hasMessageContaining("expands to more than 5000 regex nodes");
        assertThatThrownBy(() -> withSplit(dir, "(".repeat(100) + "a" + ")".repeat(100)))
                .hasMessageContaining("pre_tokenizer.pattern: nests groups deeper than the limit of 64");
        assertThatThrownBy(() -> withSplit(dir, "a".repeat(5000)))
                .hasMessageContaining("pre_tokenizer.pattern: has 5000 characters, more than the limit of 4096");
    }

    @Test
    void constructsWithoutALinearTimeMeaningAreRefusedByName(@TempDir Path dir) {
        assertThatThrownBy(() -> withSplit(dir, "a(?=b)")).isInstanceOf(TokenizerFormatException.class)
                .hasMessageContaining("uses lookaround, which the linear-time engine does not support");
        assertThatThrownBy(() -> withSplit(dir, "(a)\\1")).hasMessageContaining("pre_tokenizer.pattern: cannot be "
                + "compiled");
        assertThatThrownBy(() -> withSplit(dir, "\\bword")).hasMessageContaining("uses word boundaries");
        assertThatThrownBy(() -> withSplit(dir, "[a[b]]")).hasMessageContaining("uses nested character classes");
        assertThatThrownBy(() -> withSplit(dir, "[a&&b]")).hasMessageContaining("uses character class intersection");
        assertThatThrownBy(() -> withSplit(dir, "[^\\S]")).hasMessageContaining("uses a negated class");
    }

    @Test
    @Timeout(60)
    void aQuadraticSearchForEveryMatchRunsOutOfItsReadBudget(@TempDir Path dir) throws Exception {
        // each search for a*b reads to the end of the text before settling for the single "a": n^2/2 reads in all
        BpeTokenizer tok = withSplit(dir, "a*b|a");
        String text = "a".repeat(200_000);
        assertThatThrownBy(() -> tok.encode(text, false)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("the tokenizer's pre-tokenizer pattern 'a*b|a' needs more than 256 reads per character on "
                        + "a text chunk of 200001 characters; the tokenizer file is unusable for this text"); // + prefix
        // the same pattern on text it handles in linear time
        String ok = "ab".repeat(100_000);
        assertThat(tok.decode(tok.encode(ok, false))).isEqualTo(ok);
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

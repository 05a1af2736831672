package dev.hyperattention4j.llm.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The linear-time engine splits text exactly as java.util.regex with Unicode classes (the previous engine, whose
 * splits the golden tokenisations were checked against) does, for every pre-tokenizer the readers build: GPT-2's,
 * Llama 3's, Qwen2's (with the {@code \s+(?!\S)} lookahead implemented after the match), the digit splitters, the
 * Metaspace split and a quoted literal, on random text mixing scripts, digits, every kind of Unicode space, line
 * breaks, punctuation, apostrophes in both cases and astral characters.
 */
class SplitPatternTest {
    private static final String ALPHABET = "abcXYZ éßÜ ЖжΩ 中文ひら 0123 ٣٤ ½Ⅷ ' 'S 'll 'RE \t\n\r\u000B\f\u0085\u00A0\u1680"
            + "\u2000\u2007\u200A\u2028\u2029\u202F\u205F\u3000 .,!?-_()\"<>▁ \uD83D\uDE00 \uD835\uDC00 \u0301";

    @ParameterizedTest
    @ValueSource(strings = {HfTokenizerJson.GPT2_PATTERN, GgufTokenizers.LLAMA3_PATTERN, GgufTokenizers.QWEN2_PATTERN,
            "\\p{N}", "\\p{N}+", "\\s+(?!\\S)|\\s+", "\\Q<|x|>\\E", "\\d+|\\w+|\\s|.", "[\\s\\d]+|\\u00e9"})
    void splitsExactlyAsJavaRegexWithUnicodeClasses(String regex) {
        // the reviewed patterns run on java.util.regex; their RE2 translation must split the same way
        SplitPattern linear = SplitPattern.linear(regex);
        assertThat(linear.linearEngine()).isTrue();
        Pattern java = Pattern.compile(regex, Pattern.UNICODE_CHARACTER_CLASS);
        SplittableRandom r = new SplittableRandom(regex.hashCode());
        int[] cps = ALPHABET.codePoints().toArray();
        for (int trial = 0; trial < 3000; trial++) {
            StringBuilder b = new StringBuilder();
            int len = r.nextInt(40);
            for (int i = 0; i < len; i++) {
                int cp = cps[r.nextInt(cps.length)];
                b.appendCodePoint(cp);
                if (cp == ' ' && r.nextInt(3) == 0) {
                    b.append("   ".substring(r.nextInt(3)));
                }
            }
            String text = b.toString();
            List<String> got = new ArrayList<>();
            linear.split(text, got);
            assertThat(got).as("%s on \"%s\"", regex, text).isEqualTo(javaSplit(java, text));
        }
    }

    @org.junit.jupiter.api.Test
    void metaspaceSplitEqualsTheLookaheadJavaUsed() {
        SplitPattern linear = SplitPattern.compile("\u2581[^\u2581]*");
        assertThat(linear.linearEngine()).isTrue();
        Pattern java = Pattern.compile("(?=\u2581)");
        for (String text : new String[] {"", "▁", "a▁b▁c", "▁▁b", "ab▁", "▁a▁▁", "abc"}) {
            List<String> got = new ArrayList<>();
            linear.split(text, got);
            assertThat(got).as(text).isEqualTo(javaSplit(java, text));
        }
    }

    /** The previous engine's split: matches and the text between them, empty matches dropped. */
    private static List<String> javaSplit(Pattern p, String text) {
        List<String> out = new ArrayList<>();
        Matcher m = p.matcher(text);
        int last = 0;
        while (m.find()) {
            if (m.start() > last) {
                out.add(text.substring(last, m.start()));
            }
            if (m.end() > m.start()) {
                out.add(text.substring(m.start(), m.end()));
            }
            last = m.end();
        }
        if (last < text.length()) {
            out.add(text.substring(last));
        }
        return out;
    }
}

package dev.hyperattention4j.llm.runtime;

import dev.hyperattention4j.llm.tokenizer.Tokenizer;
import java.util.ArrayList;
import java.util.List;

/**
 * The per-story perplexity protocol of the shared models' golden values ({@code models/README.md}): split the text
 * on {@code <|endoftext|>}, strip each story, map curly quotes to ASCII quotes, encode each story separately with
 * BOS first, and cap it at {@code maxTokens}.
 *
 * <p>How a story becomes tokens (the reference tokenizer's rule, one rule for every tokenizer):
 * <pre>
 *   BOS, dummy prefix, line 1, newline, line 2, newline, ..., line n
 * </pre>
 * <ul>
 *   <li>the tokenizer's dummy prefix ({@link Tokenizer#dummyPrefix()}: llama2.c's {@code " "}, HF's
 *       {@code Prepend("▁")}; nothing for tokenizers without one) is its own token, once per story, and never
 *       merges with the first word;</li>
 *   <li>each newline-separated line is encoded on its own, as a continuation ({@link
 *       Tokenizer#encodeContinuation}: no dummy prefix), so no merge crosses a newline;</li>
 *   <li>the lines are joined by the newline's own token(s) ({@code "\n"} encoded as a continuation: llama2.c's
 *       byte-fallback {@code <0x0A>}, the 656k vocabulary's {@code "\n"}).</li>
 * </ul>
 * This is not what llama2.c's {@code encode()} does with a whole story (it merges the dummy prefix into the first
 * word, {@code " Once"}, and lets nothing merge with {@code <0x0A>} anyway), and not what a tokenizer without a
 * pre-tokenizer does with a whole story (the 656k vocabulary has pieces such as {@code ".\nThe▁"} that span a
 * newline). Under this rule stories260K gives 3.7600 over 1,817 predicted tokens and tinystories-656k 20.1518 over
 * 866, the README's values; encoding each story whole with the tokenizer gives 3.5401 over 1,802 and 17.47 over
 * 845. Perplexities are therefore only comparable under this same protocol.
 */
public final class Stories {
    public static final String SEPARATOR = "<|endoftext|>";

    private Stories() {
    }

    public static String protocol(int maxTokens) {
        return "per story: split on " + SEPARATOR + ", curly quotes to ASCII, BOS + dummy prefix as its own token"
                + " + each line encoded on its own, joined by the newline token, capped at " + maxTokens
                + " tokens, every predicted token scored";
    }

    public static List<int[]> encode(String text, Tokenizer tokenizer, int maxTokens) {
        List<int[]> out = new ArrayList<>();
        for (String story : text.split(java.util.regex.Pattern.quote(SEPARATOR))) {
            String s = asciiQuotes(story.strip());
            if (s.isEmpty()) {
                continue;
            }
            int[] ids = encodeLines(s, tokenizer);
            out.add(ids.length > maxTokens ? java.util.Arrays.copyOf(ids, maxTokens) : ids);
        }
        return out;
    }

    /** BOS, the dummy prefix, then each line as a continuation, joined by the newline's tokens (see the class). */
    static int[] encodeLines(String story, Tokenizer tokenizer) {
        int[] newline = tokenizer.encodeContinuation("\n");
        List<Integer> ids = new ArrayList<>();
        if (tokenizer.addsBos()) {
            ids.add(tokenizer.bosId());
        }
        if (!story.isEmpty()) {
            for (int id : tokenizer.dummyPrefix()) {
                ids.add(id);
            }
        }
        String[] lines = story.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            if (i > 0) {
                for (int id : newline) {
                    ids.add(id);
                }
            }
            for (int id : tokenizer.encodeContinuation(lines[i])) {
                ids.add(id);
            }
        }
        return ids.stream().mapToInt(Integer::intValue).toArray();
    }

    static String asciiQuotes(String s) {
        return s.replace('\u201c', '"').replace('\u201d', '"').replace('\u2018', '\'').replace('\u2019', '\'');
    }
}

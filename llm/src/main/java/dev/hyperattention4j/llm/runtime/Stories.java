package dev.hyperattention4j.llm.runtime;

import dev.hyperattention4j.llm.tokenizer.Tokenizer;
import java.util.ArrayList;
import java.util.List;

/**
 * The per-story perplexity protocol of the shared models' golden values ({@code models/README.md}): split the text
 * on {@code <|endoftext|>}, strip each story, map curly quotes to ASCII quotes, encode each story separately with
 * BOS first, and cap it at {@code maxTokens}.
 */
public final class Stories {
    public static final String SEPARATOR = "<|endoftext|>";

    private Stories() {
    }

    public static String protocol(int maxTokens) {
        return "per story: split on " + SEPARATOR + ", curly quotes to ASCII, BOS + story capped at " + maxTokens
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

    static int[] encodeLines(String story, Tokenizer tokenizer) {
        int[] newline = tokenizer.encode("\n", false);
        // a lone dummy-prefix token in front of the newline's own token (SentencePiece-style normalisers)
        int prefix = newline.length == 2 ? newline[0] : -1;
        java.util.List<Integer> ids = new ArrayList<>();
        ids.add(tokenizer.bosId());
        String[] lines = story.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            int[] e = tokenizer.encode(i == 0 ? lines[i] : "\n" + lines[i], false);
            for (int k = i > 0 && e.length > 0 && e[0] == prefix ? 1 : 0; k < e.length; k++) {
                ids.add(e[k]);
            }
        }
        return ids.stream().mapToInt(Integer::intValue).toArray();
    }

    static String asciiQuotes(String s) {
        return s.replace('\u201c', '"').replace('\u201d', '"').replace('\u2018', '\'').replace('\u2019', '\'');
    }
}

package dev.hyperattention4j.llm.tokenizer;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hyperattention4j.llm.format.io.Json;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;

/**
 * Trains a byte-level BPE vocabulary (GPT-2's scheme): the text is cut into pieces by GPT-2's pre-tokenizer regex,
 * each piece is a sequence of its UTF-8 bytes, and the most frequent adjacent pair of symbols (counted over all
 * pieces, weighted by how often each piece occurs) is merged into a new symbol, again and again until the vocabulary
 * holds {@code vocabSize} tokens: 256 bytes, the merges in the order they were learned, then {@code <|bos|>} and
 * {@code <|eos|>}. Ties go to the pair whose merged string sorts first, so the result depends on the text alone.
 *
 * <p>Pair counts are kept incrementally: a merge revisits only the pieces that contain its pair (an index from pair
 * to pieces), and a priority queue with stale entries skipped picks the next pair.
 */
public final class BpeTrainer {
    /**
     * The learned vocabulary: token strings in id order (GPT-2's printable byte mapping), the merges, and the
     * token ids each distinct pre-tokenized piece of the training text ended up as.
     */
    public record Result(List<String> tokens, List<String[]> merges, Map<String, int[]> pieces) {
        public int bosId() { return tokens.size(); }

        public int eosId() { return tokens.size() + 1; }

        public int vocabSize() { return tokens.size() + 2; }
    }

    private BpeTrainer() {
    }

    /** The smallest vocabulary: the 256 bytes and the two special tokens. */
    public static final int MIN_VOCAB = 258;

    /**
     * @param vocabSize tokens of the result, specials included (at least {@link #MIN_VOCAB}); fewer when the text
     *                  runs out of pairs that occur at least twice
     */
    public static Result train(List<String> texts, int vocabSize) {
        if (vocabSize < MIN_VOCAB) {
            throw new IllegalArgumentException("vocabulary size " + vocabSize + " is below " + MIN_VOCAB
                    + " (256 bytes and 2 special tokens)");
        }
        SplitPattern pattern = SplitPattern.compile(HfTokenizerJson.GPT2_PATTERN);
        Map<String, Integer> counts = new LinkedHashMap<>();
        List<String> pieces = new ArrayList<>();
        for (String text : texts) {
            pieces.clear();
            pattern.split(text, pieces);
            for (String p : pieces) {
                counts.merge(p, 1, Integer::sum);
            }
        }
        int n = counts.size();
        int[][] words = new int[n][];
        long[] freq = new long[n];
        int w = 0;
        for (Map.Entry<String, Integer> e : counts.entrySet()) {
            byte[] b = e.getKey().getBytes(java.nio.charset.StandardCharsets.UTF_8);
            words[w] = new int[b.length];
            for (int i = 0; i < b.length; i++) {
                words[w][i] = b[i] & 0xFF;
            }
            freq[w++] = e.getValue();
        }
        List<String> tokens = new ArrayList<>();
        Map<String, Integer> ids = new HashMap<>();
        for (int b = 0; b < 256; b++) {
            tokens.add(String.valueOf(ByteLevel.toChar(b)));
            ids.put(tokens.get(b), b);
        }
        Map<Long, Long> pairCount = new HashMap<>();
        Map<Long, Set<Integer>> where = new HashMap<>();
        for (int i = 0; i < n; i++) {
            addPairs(words[i], i, freq[i], +1, pairCount, where);
        }
        PriorityQueue<long[]> queue = new PriorityQueue<>((a, b) -> a[0] != b[0] ? Long.compare(b[0], a[0])
                : tokens.get((int) (a[1] >>> 32)).concat(tokens.get((int) a[1])).compareTo(
                        tokens.get((int) (b[1] >>> 32)).concat(tokens.get((int) b[1]))));
        pairCount.forEach((pair, c) -> queue.add(new long[] {c, pair}));
        List<String[]> merges = new ArrayList<>();
        while (tokens.size() < vocabSize - 2 && !queue.isEmpty()) {
            long[] top = queue.poll();
            long pair = top[1];
            Long current = pairCount.get(pair);
            if (current == null || current != top[0]) {
                continue;   // stale entry: the count changed since it was queued
            }
            if (current < 2) {
                break;      // a pair seen once is not a pattern
            }
            int left = (int) (pair >>> 32), right = (int) pair;
            String joined = tokens.get(left) + tokens.get(right);
            Integer existing = ids.get(joined);   // ("a", "bc") after ("ab", "c"): the same token, no new id
            int merged = existing != null ? existing : tokens.size();
            if (existing == null) {
                tokens.add(joined);
                ids.put(joined, merged);
            }
            merges.add(new String[] {tokens.get(left), tokens.get(right)});
            Set<Long> touched = new HashSet<>();
            for (int i : List.copyOf(where.getOrDefault(pair, Set.of()))) {
                addPairs(words[i], i, freq[i], -1, pairCount, where);
                words[i] = mergeIn(words[i], left, right, merged);
                addPairs(words[i], i, freq[i], +1, pairCount, where);
                for (int k = 0; k + 1 < words[i].length; k++) {
                    touched.add(key(words[i][k], words[i][k + 1]));
                }
            }
            for (long t : touched) {
                Long c = pairCount.get(t);
                if (c != null) {
                    queue.add(new long[] {c, t});
                }
            }
        }
        Map<String, int[]> segmentation = new LinkedHashMap<>();
        int j = 0;
        for (String piece : counts.keySet()) {
            segmentation.put(piece, words[j++]);
        }
        return new Result(tokens, merges, segmentation);
    }

    private static long key(int left, int right) {
        return ((long) left << 32) | (right & 0xFFFFFFFFL);
    }

    /** Adds (sign +1) or removes (-1) the adjacent pairs of word i, weighted by its frequency. */
    private static void addPairs(int[] word, int i, long freq, int sign, Map<Long, Long> pairCount,
                                 Map<Long, Set<Integer>> where) {
        for (int k = 0; k + 1 < word.length; k++) {
            long p = key(word[k], word[k + 1]);
            long c = pairCount.getOrDefault(p, 0L) + sign * freq;
            if (c == 0) {
                pairCount.remove(p);
            } else {
                pairCount.put(p, c);
            }
            if (sign > 0) {
                where.computeIfAbsent(p, x -> new HashSet<>()).add(i);
            }
        }
        if (sign < 0) {   // the word's pairs are re-added (and re-indexed) right after
            for (int k = 0; k + 1 < word.length; k++) {
                Set<Integer> s = where.get(key(word[k], word[k + 1]));
                if (s != null) {
                    s.remove(i);
                }
            }
        }
    }

    /** The word with every left-to-right occurrence of (left, right) replaced by {@code merged}. */
    private static int[] mergeIn(int[] word, int left, int right, int merged) {
        int[] out = new int[word.length];
        int m = 0;
        for (int k = 0; k < word.length; k++) {
            if (k + 1 < word.length && word[k] == left && word[k + 1] == right) {
                out[m++] = merged;
                k++;
            } else {
                out[m++] = word[k];
            }
        }
        return java.util.Arrays.copyOf(out, m);
    }

    /** The tokenizer.json of a trained vocabulary: byte-level BPE, GPT-2's pre-tokenizer, the specials last. */
    public static ObjectNode toJson(Result r) {
        ObjectNode root = ByteTokenizerJson.create();
        ArrayNode added = (ArrayNode) root.get("added_tokens");
        ((ObjectNode) added.get(0)).put("id", r.bosId());
        ((ObjectNode) added.get(1)).put("id", r.eosId());
        ObjectNode model = (ObjectNode) root.get("model");
        ObjectNode vocab = model.putObject("vocab");
        for (int i = 0; i < r.tokens().size(); i++) {
            vocab.put(r.tokens().get(i), i);
        }
        ArrayNode merges = model.putArray("merges");
        for (String[] m : r.merges()) {
            merges.addArray().add(m[0]).add(m[1]);
        }
        return root;
    }
}

package dev.hyperattention4j.llm.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The heap-and-linked-list merge loop gives exactly the result of the textbook loop "merge the lowest-rank
 * adjacent pair, leftmost on ties, until none merges", on random merge tables (with many equal ranks, as score
 * ties produce) and random inputs that repeat symbols, so merges chain and heap entries go stale.
 */
class BpeMergerTest {
    /** The O(n^2) reference. */
    private static int[] naive(int[] input, PairTable table) {
        List<Integer> seq = new ArrayList<>();
        for (int x : input) {
            seq.add(x);
        }
        while (true) {
            int best = -1;
            long bestRank = Long.MAX_VALUE;
            for (int i = 0; i + 1 < seq.size(); i++) {
                long m = table.get(seq.get(i), seq.get(i + 1));
                if (m >= 0 && (m >>> 32) < bestRank) {
                    bestRank = m >>> 32;
                    best = i;
                }
            }
            if (best < 0) {
                return seq.stream().mapToInt(Integer::intValue).toArray();
            }
            seq.set(best, (int) table.get(seq.get(best), seq.get(best + 1)));
            seq.remove(best + 1);
        }
    }

    @ParameterizedTest(name = "seed {0}, alphabet {1}, merges {2}, rank ties every {3}")
    @CsvSource({"1,3,10,1", "2,3,40,3", "3,5,60,1", "4,5,200,7", "5,8,30,2", "6,2,25,4", "7,12,400,1",
            "8,4,120,10"})
    void matchesTheNaiveLoop(long seed, int alphabet, int mergeCount, int tieEvery) {
        SplittableRandom r = new SplittableRandom(seed);
        PairTable table = new PairTable(mergeCount);
        int next = alphabet;
        for (int m = 0; m < mergeCount; m++) {
            int a = r.nextInt(next);
            int b = r.nextInt(next);
            if (table.get(a, b) >= 0) {
                continue;
            }
            table.putIfAbsent(a, b, m / tieEvery, next++);
        }
        for (int trial = 0; trial < 200; trial++) {
            int n = r.nextInt(1, 120);
            int[] input = new int[n];
            for (int i = 0; i < n; i++) {
                input[i] = r.nextInt(alphabet); // small alphabets: long runs like "aaaa" chain merges
            }
            int[] want = naive(input, table);
            int[] got = BpeMerger.merge(input.clone(), n, table);
            assertThat(got).as("input %s", java.util.Arrays.toString(input)).containsExactly(want);
        }
    }
}

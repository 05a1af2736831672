package dev.hyperattention4j.llm.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Comparator;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** {@link TopK} against a boxed sort of the whole vocabulary (descending logit, then ascending id). */
class TopKTest {

    private static int[] oracle(float[] l, int vocab, int k) {
        return IntStream.range(0, vocab).boxed()
                .sorted(Comparator.<Integer>comparingDouble(i -> -l[i]).thenComparingInt(i -> i))
                .limit(k).mapToInt(Integer::intValue).toArray();
    }

    @Test
    void theKBestInOrderWithTiesAndMaskedTokens() {
        Random r = new Random(3);
        TopK topK = new TopK();
        for (int trial = 0; trial < 600; trial++) {
            int vocab = 1 + r.nextInt(trial % 3 == 0 ? 5000 : 400);
            int k = 1 + r.nextInt(Math.min(vocab, trial % 5 == 0 ? vocab : 100));
            float[] l = new float[vocab];
            int kind = trial % 4;
            for (int i = 0; i < vocab; i++) {
                double g = 3 * r.nextGaussian();
                l[i] = switch (kind) {
                    case 0 -> (float) g;
                    case 1 -> (float) Math.round(g);                    // many ties
                    case 2 -> r.nextInt(10) == 0 ? (float) g : Float.NEGATIVE_INFINITY;   // mostly masked
                    default -> (float) (g + (i % 7 == 0 ? 20 : 0));     // a strided set of leaders
                };
            }
            int[] out = new int[vocab];
            long[] keys = new long[vocab];
            assertThat(topK.select(l, vocab, k, out, keys)).isEqualTo(k);
            int[] got = java.util.Arrays.copyOf(out, k);
            assertThat(got).as("trial %d vocab %d k %d kind %d", trial, vocab, k, kind)
                    .containsExactly(oracle(l, vocab, k));
        }
    }

    @Test
    void kthLargestIsTheSortsValue() {
        Random r = new Random(5);
        for (int trial = 0; trial < 2000; trial++) {
            int n = 1 + r.nextInt(150);
            float[] a = new float[n];
            for (int i = 0; i < n; i++) {
                a[i] = trial % 2 == 0 ? (float) r.nextGaussian() : r.nextInt(5) - 2;   // odd trials: many ties
            }
            float[] sorted = a.clone();
            java.util.Arrays.sort(sorted);
            int k = 1 + r.nextInt(n);
            assertThat(TopK.kthLargest(a, n, k)).as("n %d k %d", n, k).isEqualTo(sorted[n - k]);
        }
    }

    @Test
    void allEqualLogitsKeepTheLowestIds() {
        float[] l = new float[1000];
        int[] out = new int[1000];
        new TopK().select(l, 1000, 40, out, new long[1000]);
        assertThat(java.util.Arrays.copyOf(out, 40)).containsExactly(IntStream.range(0, 40).toArray());
    }

    @Test
    void aNaNLogitIsRefusedWhereverItIs() {
        for (int at : new int[] {0, 5, 999}) {
            float[] l = new float[1000];
            for (int i = 0; i < l.length; i++) {
                l[i] = i * 0.01f;
            }
            l[at] = Float.NaN;
            assertThatThrownBy(() -> new TopK().select(l, 1000, 40, new int[1000], new long[1000]))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("largest logit is NaN");
        }
    }
}

package dev.hyperattention4j.llm.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The sampler against a straightforward float64 oracle that follows {@link Sampler}'s documented order literally
 * (boxed sort of the whole vocabulary, explicit sets): the kept candidates must be exactly the oracle's, their
 * probabilities equal to 1e-9, and seeded draws must follow that distribution (chi-square).
 */
class SamplerTest {

    /** Gaussian logits; with {@code step > 0} rounded to multiples of it, so ties occur (top-k's tie rule). */
    static float[] logits(int n, long seed, double step) {
        Random r = new Random(seed);
        float[] l = new float[n];
        for (int i = 0; i < n; i++) {
            double v = 3 * r.nextGaussian();
            l[i] = (float) (step > 0 ? Math.round(v / step) * step : v);
        }
        return l;
    }

    /** The documented algorithm, literally, in float64. */
    static double[] oracle(float[] logits, int vocab, SamplingParams p, int[] history) {
        double[] l = new double[vocab];
        for (int i = 0; i < vocab; i++) {
            l[i] = logits[i];
        }
        if (p.penalizes()) {
            Map<Integer, Integer> counts = new HashMap<>();
            for (int i = Math.max(0, history.length - p.repeatLastN()); i < history.length; i++) {
                counts.merge(history[i], 1, Integer::sum);
            }
            for (Map.Entry<Integer, Integer> e : counts.entrySet()) {
                int t = e.getKey();
                float v = (float) l[t];
                v = v > 0 ? v / p.repeatPenalty() : v * p.repeatPenalty();
                l[t] = v - e.getValue() * p.frequencyPenalty() - p.presencePenalty();
                l[t] = (float) l[t];
            }
        }
        double[] out = new double[vocab];
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < vocab; i++) {
            order.add(i);
        }
        order.sort(Comparator.<Integer>comparingDouble(i -> -l[i]).thenComparingInt(i -> i));
        if (p.isGreedy()) {
            out[order.getFirst()] = 1;
            return out;
        }
        int k = p.topK() == 0 ? vocab : Math.min(p.topK(), vocab);
        List<Integer> kept = new ArrayList<>(order.subList(0, k));
        double max = l[kept.getFirst()];
        double z = 0;
        for (int t : kept) {
            z += Math.exp(l[t] - max);
        }
        if (p.topP() < 1) {
            double cum = 0;
            int n = 0;
            while (n < kept.size()) {
                cum += Math.exp(l[kept.get(n)] - max) / z;
                n++;
                if (cum >= p.topP()) {
                    break;
                }
            }
            kept = new ArrayList<>(kept.subList(0, n));
        }
        kept.removeIf(t -> Math.exp(l[t] - max) < p.minP());
        double sum = 0;
        for (int t : kept) {
            sum += Math.exp((l[t] - max) / p.temperature());
        }
        for (int t : kept) {
            out[t] = Math.exp((l[t] - max) / p.temperature()) / sum;
        }
        return out;
    }

    static void assertMatchesOracle(double[] got, double[] want) {
        for (int i = 0; i < want.length; i++) {
            assertThat(got[i] > 0).as("token %d kept", i).isEqualTo(want[i] > 0);
            assertThat(got[i]).as("probability of token %d", i).isCloseTo(want[i],
                    org.assertj.core.data.Offset.offset(1e-9));
        }
    }

    /** The nucleus's key sort (insertion for a few keys, Arrays.sort beyond) orders distinct keys as Arrays.sort. */
    @Test
    void keySortOrdersLikeArraysSort() {
        Random r = new Random(41);
        for (int n : new int[] {0, 1, 2, 3, 17, 40, 64, 65, 300}) {
            for (int trial = 0; trial < 20; trial++) {
                long[] keys = new long[n + 5];
                for (int i = 0; i < keys.length; i++) {
                    keys[i] = ((long) r.nextInt() << 32) | i;   // distinct, as the sampler's keys (id in the low bits)
                }
                long[] expected = keys.clone();
                java.util.Arrays.sort(expected, 0, n);
                Sampler.sortKeys(keys, n);
                assertThat(keys).containsExactly(expected);
            }
        }
    }

    @Test
    void keptSetsAndProbabilitiesMatchTheOracle() {
        Random r = new Random(7);
        for (int trial = 0; trial < 400; trial++) {
            int vocab = 1 + r.nextInt(trial % 4 == 0 ? 3000 : 300);
            float[] l = logits(vocab, trial, trial % 3 == 0 ? 0.5 : 0);
            SamplingParams p = new SamplingParams(
                    trial % 10 == 0 ? 0f : 0.05f + 2 * r.nextFloat(),
                    r.nextInt(4) == 0 ? 0 : 1 + r.nextInt(Math.max(1, vocab + 5)),
                    r.nextInt(3) == 0 ? 1f : 0.05f + 0.95f * r.nextFloat(),
                    r.nextInt(3) == 0 ? 0f : 0.3f * r.nextFloat(),
                    r.nextInt(2) == 0 ? 1f : 0.5f + 1.5f * r.nextFloat(),
                    r.nextInt(70),
                    r.nextInt(2) == 0 ? 0f : r.nextFloat() - 0.5f,
                    r.nextInt(2) == 0 ? 0f : r.nextFloat() - 0.5f,
                    trial);
            int[] history = r.ints(r.nextInt(100), 0, vocab).toArray();
            Sampler s = new Sampler(p);
            for (int t : history) {
                s.accept(t);
            }
            assertMatchesOracle(s.distribution(l, vocab), oracle(l, vocab, p, history));
        }
    }

    /** Exact cut-offs at known values: uniform logits make top-p and min-p boundaries predictable. */
    @Test
    void cutOffsAtKnownBoundaries() {
        // probabilities 0.4, 0.3, 0.2, 0.1 (logits are their logs)
        float[] l = {(float) Math.log(0.1), (float) Math.log(0.4), (float) Math.log(0.2), (float) Math.log(0.3)};
        SamplingParams base = new SamplingParams(1f, 0, 1f, 0f, 1f, 0, 0f, 0f, 1);
        assertThat(support(base.withTopK(2), l)).containsExactly(1, 3);
        assertThat(support(base.withTopP(0.65f), l)).containsExactly(1, 3);         // 0.4 + 0.3 reaches 0.65
        assertThat(support(base.withTopP(0.75f), l)).containsExactly(1, 2, 3);      // needs the 0.2 too
        assertThat(support(base.withMinP(0.45f), l)).containsExactly(1, 2, 3);      // 0.2 >= 0.18
        assertThat(support(base.withMinP(0.6f), l)).containsExactly(1, 3);          // 0.2 < 0.24
        // top-p measures mass inside the top-k set: 0.4 / 0.7 = 0.571 reaches 0.55 alone
        assertThat(support(base.withTopK(2).withTopP(0.55f), l)).containsExactly(1);
        assertThat(support(base.withTopK(1), l)).containsExactly(1);
    }

    static List<Integer> support(SamplingParams p, float[] l) {
        double[] d = new Sampler(p).distribution(l, l.length);
        List<Integer> s = new ArrayList<>();
        for (int i = 0; i < d.length; i++) {
            if (d[i] > 0) {
                s.add(i);
            }
        }
        return s;
    }

    /** Seeded draws follow the oracle's distribution: chi-square below the 0.1 % critical value. */
    @Test
    void drawsFollowTheDistribution() {
        float[] l = logits(200, 3, 0);
        for (int i = 0; i < l.length; i++) {
            l[i] /= 4;   // a flatter distribution: dozens of tokens with enough mass for the test
        }
        for (SamplingParams p : List.of(new SamplingParams(0.7f, 20, 0.9f, 0.02f, 1f, 0, 0f, 0f, 11),
                new SamplingParams(1.3f, 0, 1f, 0f, 1f, 0, 0f, 0f, 12),
                SamplingParams.defaults(13))) {
            double[] want = oracle(l, l.length, p, new int[0]);
            Sampler s = new Sampler(p);
            int draws = 40_000;
            int[] seen = new int[l.length];
            for (int i = 0; i < draws; i++) {
                seen[s.sample(l, l.length)]++;
            }
            double chi2 = 0;
            int cells = 0;
            for (int i = 0; i < l.length; i++) {
                if (want[i] == 0) {
                    assertThat(seen[i]).as("draws of the cut token %d", i).isZero();
                } else if (want[i] * draws >= 5) {
                    double e = want[i] * draws;
                    chi2 += (seen[i] - e) * (seen[i] - e) / e;
                    cells++;
                }
            }
            // chi-square 0.999 quantile ~ df + 3.1 sqrt(2 df) + 3 for the dozens of degrees of freedom here
            double df = cells - 1;
            assertThat(cells).isGreaterThan(3);
            assertThat(chi2).as("chi-square over %d cells", cells).isLessThan(df + 3.1 * Math.sqrt(2 * df) + 3);
        }
    }

    @Test
    void greedyIsTheArgmaxAfterPenalties() {
        float[] l = logits(500, 1, 0);
        int arg = Sampler.argmax(l, l.length);
        for (float v : l) {
            assertThat(v).isLessThanOrEqualTo(l[arg]);
        }
        assertThat(new Sampler(SamplingParams.greedy()).sample(l, l.length)).isEqualTo(arg);
        Sampler topOne = new Sampler(SamplingParams.defaults(3).withTopK(1));
        for (int i = 0; i < 20; i++) {
            assertThat(topOne.sample(l, l.length)).isEqualTo(arg);
        }
        // a strong repeat penalty on the argmax hands greedy decoding to the runner-up once it was seen
        Sampler penalized = new Sampler(SamplingParams.greedy().withRepeatPenalty(1f, 8)
                .withFrequencyAndPresencePenalty(0f, 2f));
        float[] two = {1f, 2.5f, 2f};
        assertThat(penalized.sample(two, 3)).isEqualTo(1);
        assertThat(penalized.sample(two, 3)).isEqualTo(2);   // 2.5 - 2 < 2
    }

    @Test
    void sameSeedSameDrawsAndWindowForgetsOldTokens() {
        float[] l = logits(100, 3, 0);
        Sampler a = new Sampler(SamplingParams.defaults(11).withMinP(0f));
        Sampler b = new Sampler(SamplingParams.defaults(11).withMinP(0f));
        for (int i = 0; i < 200; i++) {
            assertThat(a.sample(l, l.length)).isEqualTo(b.sample(l, l.length));
        }
        // a window of 2: after two other tokens, token 0 is no longer penalized
        SamplingParams p = new SamplingParams(1f, 0, 1f, 0f, 2f, 2, 0f, 0f, 1);
        float[] flat = {1f, 1f, 1f, 1f};
        Sampler s = new Sampler(p);
        s.accept(0);
        assertThat(s.distribution(flat, 4)[0]).isLessThan(0.25);
        s.accept(1);
        s.accept(2);
        assertThat(s.distribution(flat, 4)[0]).isGreaterThan(0.25);
    }

    @Test
    void invalidParametersNameTheirRange() {
        assertThatThrownBy(() -> new SamplingParams(-1f, 0, 1f, 0f, 1f, 64, 0f, 0f, 0))
                .hasMessageContaining("temperature must be in [0, 100]");
        assertThatThrownBy(() -> SamplingParams.defaults(0).withTopP(0f)).hasMessageContaining("top-p must be in (0, 1]");
        assertThatThrownBy(() -> SamplingParams.defaults(0).withTopK(-1)).hasMessageContaining("top-k must be >= 0");
        assertThatThrownBy(() -> SamplingParams.defaults(0).withMinP(1.5f)).hasMessageContaining("min-p must be in [0, 1]");
        assertThatThrownBy(() -> SamplingParams.defaults(0).withRepeatPenalty(0f, 64))
                .hasMessageContaining("repeat-penalty must be in (0, 10]");
        assertThatThrownBy(() -> SamplingParams.defaults(0).withRepeatPenalty(1.1f, -1))
                .hasMessageContaining("repeat-last-n must be in [0,");
        assertThatThrownBy(() -> SamplingParams.defaults(0).withTemperature(Float.NaN))
                .hasMessageContaining("temperature");
        assertThatThrownBy(() -> new Sampler(SamplingParams.defaults(0)).sample(new float[] {Float.NaN, 1f}, 2))
                .hasMessageContaining("largest logit is NaN");
    }
}

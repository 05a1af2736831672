package dev.hyperattention4j.attention;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.hyperattention4j.attention.hyper.HyperAttention;
import dev.hyperattention4j.attention.hyper.HyperConfig;
import dev.hyperattention4j.reference.NaiveAttention;
import dev.hyperattention4j.runtime.WorkerPool;
import dev.hyperattention4j.tensor.FloatTensor;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Numeric edge cases for every {@link Attention} (issue #9, docs/RELIABILITY.md "Numeric policies"): the
 * non-finite policy, extreme logits, equal keys, zero vectors, d = 1, n = 1, n_k = 1, fully masked rows, and
 * HyperAttention's convexity, against the double-precision {@link NaiveAttention} oracle where it applies.
 */
class AttentionEdgeCasesTest {
    private static final WorkerPool POOL = new WorkerPool(2);
    /** float32 accumulation over at most a few thousand keys against a float64 oracle. */
    private static final float TOL = 2e-5f;

    @AfterAll
    static void closePool() {
        POOL.close();
    }

    /** Exact implementations: the oracle, the flash kernel, and HyperAttention below its minSeqLen. */
    static List<Attention> exact() {
        return List.of(new NaiveAttention(), new FlashAttention(POOL),
                new HyperAttention(HyperConfig.defaults(), POOL));
    }

    /** HyperAttention in its approximate regime: small blocks, samples, 3 hyperplanes, recursion below 8. */
    static HyperAttention approximate(int blockSize, int samples) {
        return new HyperAttention(HyperConfig.defaults().withBlockSize(blockSize).withSampleSize(samples)
                .withNumProjections(3).withMinSeqLen(8), POOL);
    }

    static Stream<Attention> all() {
        return Stream.concat(exact().stream(), Stream.of(approximate(8, 16)));
    }

    static FloatTensor random(Random r, int b, int h, int n, int d, double std) {
        float[] x = new float[b * h * n * d];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (std * r.nextGaussian());
        }
        return FloatTensor.of(x, b, h, n, d);
    }

    private static AttentionProblem problem(FloatTensor q, FloatTensor k, FloatTensor v, boolean causal) {
        return AttentionProblem.of(q, k, v).withCausal(causal).withLogSumExp();
    }

    private static AttentionProblem run(Attention a, AttentionProblem p) {
        AttentionProblem fresh = p.withOutput(FloatTensor.zeros(p.batch(), p.queryHeads(), p.queryLength(),
                p.headDim())).withLogSumExp();
        a.forward(fresh);
        return fresh;
    }

    private static void assertMatchesOracle(Attention a, AttentionProblem p) {
        AttentionProblem expected = run(new NaiveAttention(), p), actual = run(a, p);
        float[] x = expected.output().toArray(), y = actual.output().toArray();
        for (int i = 0; i < x.length; i++) {
            assertThat(y[i]).as("%s output element %d", a.name(), i).isCloseTo(x[i], within(TOL));
        }
        for (int i = 0; i < expected.logSumExp().length; i++) {
            float l = expected.logSumExp()[i];
            if (l == Float.NEGATIVE_INFINITY) {
                assertThat(actual.logSumExp()[i]).as("%s lse of a fully masked row", a.name()).isEqualTo(l);
            } else {
                assertThat(actual.logSumExp()[i]).as("%s lse %d", a.name(), i)
                        .isCloseTo(l, within(TOL * Math.max(1, Math.abs(l))));
            }
        }
    }

    // ------------------------------------------------------------------ non-finite inputs

    @ParameterizedTest
    @MethodSource("all")
    void nonFiniteInputIsRejectedWithItsPosition(Attention a) {
        Random r = new Random(3);
        for (String which : new String[] {"query", "key", "value"}) {
            for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
                FloatTensor q = random(r, 1, 2, 40, 8, 1), k = random(r, 1, 2, 40, 8, 1), v = random(r, 1, 2, 40, 8, 1);
                FloatTensor t = which.equals("query") ? q : which.equals("key") ? k : v;
                t.set(0, 1, 5, 2, bad);
                for (boolean causal : new boolean[] {false, true}) {
                    AttentionProblem p = problem(q, k, v, causal);
                    assertThatThrownBy(() -> a.forward(p)).as("%s, %s %s", a.name(), which, bad)
                            .isInstanceOf(IllegalArgumentException.class)
                            .hasMessageStartingWith(which + " contains a non-finite value " + bad + " at [0][1][5][2]")
                            .hasMessageContaining("NonFinitePolicy.PROPAGATE");
                }
            }
        }
    }

    @ParameterizedTest
    @MethodSource("exact")
    void propagateLetsNaNReachExactlyTheRowsThatSeeIt(Attention a) {
        Random r = new Random(4);
        int n = 70, nan = 33;
        FloatTensor q = random(r, 1, 1, n, 8, 1), k = random(r, 1, 1, n, 8, 1), v = random(r, 1, 1, n, 8, 1);
        k.set(0, 0, nan, 3, Float.NaN);
        AttentionProblem p = problem(q, k, v, true).withNonFinite(NonFinitePolicy.PROPAGATE);
        AttentionProblem out = run(a, p);
        AttentionProblem oracle = run(new NaiveAttention(), p);
        for (int i = 0; i < n; i++) {
            for (int c = 0; c < 8; c++) {
                float y = out.output().get(0, 0, i, c);
                if (i < nan) {   // causal: rows before the NaN key never see it and stay exact
                    assertThat(y).isCloseTo(oracle.output().get(0, 0, i, c), within(TOL));
                } else {
                    assertThat(y).as("%s row %d", a.name(), i).isNaN();
                }
            }
        }
    }

    @Test
    void propagateThroughHyperAttentionPoisonsTheOutputInsteadOfThrowing() {
        Random r = new Random(5);
        FloatTensor q = random(r, 1, 1, 256, 8, 1), k = random(r, 1, 1, 256, 8, 1), v = random(r, 1, 1, 256, 8, 1);
        v.set(0, 0, 100, 0, Float.POSITIVE_INFINITY);
        AttentionProblem out = run(approximate(16, 32),
                problem(q, k, v, false).withNonFinite(NonFinitePolicy.PROPAGATE));
        long bad = 0;
        for (float x : out.output().toArray()) {
            bad += Float.isFinite(x) ? 0 : 1;
        }
        // the block that holds key 100 sees the infinite value: at least its rows' first coordinate is not finite
        assertThat(bad).isGreaterThan(0);
    }

    // ------------------------------------------------------------------ extreme logits

    /** Logits scale·q·k with gaps of |magnitude|/n between keys: the softmax is one-hot at the largest. */
    @ParameterizedTest
    @MethodSource("exact")
    void extremeLogitsGiveTheArgmaxValueRow(Attention a) {
        int n = 50, d = 4;
        Random r = new Random(6);
        FloatTensor v = random(r, 1, 1, n, d, 1);
        for (double magnitude : new double[] {1e4, -1e4, 1e6, -1e8, 1e12, 1e30, -1e30}) {
            float[] qa = new float[n * d], ka = new float[n * d];
            for (int i = 0; i < n; i++) {
                qa[i * d] = (float) Math.signum(magnitude) * (float) Math.sqrt(Math.abs(magnitude));
                ka[i * d] = (float) Math.sqrt(Math.abs(magnitude)) * (i + 1) / n;
            }
            AttentionProblem p = problem(FloatTensor.of(qa, 1, 1, n, d), FloatTensor.of(ka, 1, 1, n, d), v, false)
                    .withScale(1f);
            AttentionProblem out = run(a, p);
            int argmax = magnitude > 0 ? n - 1 : 0;
            for (int i = 0; i < n; i++) {
                for (int c = 0; c < d; c++) {
                    assertThat(out.output().get(0, 0, i, c)).as("%s at logit magnitude %g", a.name(), magnitude)
                            .isCloseTo(v.get(0, 0, argmax, c), within(1e-6f));
                }
                assertThat(out.logSumExp()[i]).isFinite();
            }
        }
    }

    @ParameterizedTest
    @MethodSource("exact")
    void equalExtremeLogitsAverageTheValues(Attention a) {
        int n = 37, d = 5;
        Random r = new Random(7);
        FloatTensor v = random(r, 1, 1, n, d, 1);
        for (float s : new float[] {1e4f, -1e4f, 1e15f, -1e15f}) {
            float[] ka = new float[n * d];
            for (int j = 0; j < n; j++) {
                ka[j * d] = s;  // every key equal: every logit equals s·s·scale
            }
            float[] qa = ka.clone();
            AttentionProblem p = problem(FloatTensor.of(qa, 1, 1, n, d), FloatTensor.of(ka, 1, 1, n, d), v, false);
            assertMatchesOracleMean(a, p, v, n, d);
        }
    }

    private static void assertMatchesOracleMean(Attention a, AttentionProblem p, FloatTensor v, int n, int d) {
        AttentionProblem out = run(a, p);
        for (int c = 0; c < d; c++) {
            double mean = 0;
            for (int j = 0; j < n; j++) {
                mean += v.get(0, 0, j, c) / n;
            }
            for (int i = 0; i < p.queryLength(); i++) {
                assertThat(out.output().get(0, 0, i, c)).as(a.name()).isCloseTo((float) mean, within(TOL));
            }
        }
    }

    // ------------------------------------------------------------------ degenerate shapes and inputs

    @ParameterizedTest
    @MethodSource("exact")
    void zeroQueriesAverageTheValues(Attention a) {
        Random r = new Random(8);
        int n = 129, d = 16;
        FloatTensor v = random(r, 1, 1, n, d, 1);
        AttentionProblem p = problem(FloatTensor.zeros(1, 1, n, d), random(r, 1, 1, n, d, 1), v, false);
        assertMatchesOracleMean(a, p, v, n, d);
        // zero keys too: every logit is 0
        assertMatchesOracleMean(a, problem(random(r, 1, 1, n, d, 1), FloatTensor.zeros(1, 1, n, d), v, false), v, n, d);
    }

    /** (nq, nk, d, causal): d = 1, n = 1, n_k = 1, fully masked rows (causal nq &gt; nk), tails of every tile. */
    static Stream<int[]> shapes() {
        return Stream.of(new int[] {1, 1, 1, 0}, new int[] {1, 1, 1, 1}, new int[] {1, 1, 64, 0},
                new int[] {300, 1, 8, 0}, new int[] {1, 300, 8, 0}, new int[] {1, 300, 8, 1},
                new int[] {257, 257, 1, 1}, new int[] {70, 5, 8, 1}, new int[] {200, 3, 3, 1},
                new int[] {65, 64, 7, 1}, new int[] {33, 1, 2, 1});
    }

    @ParameterizedTest
    @MethodSource("shapes")
    void degenerateShapesMatchTheOracle(int[] shape) {
        Random r = new Random(9);
        int nq = shape[0], nk = shape[1], d = shape[2];
        AttentionProblem p = problem(random(r, 1, 2, nq, d, 1), random(r, 1, 1, nk, d, 1), random(r, 1, 1, nk, d, 1),
                shape[3] == 1);
        for (Attention a : exact()) {
            assertMatchesOracle(a, p);
        }
        if (shape[3] == 1 && nq > nk) { // rows that see no key: zero output, lse -inf
            AttentionProblem out = run(new FlashAttention(POOL), p);
            assertThat(out.output().get(0, 1, 0, 0)).isZero();
            assertThat(out.logSumExp()[0]).isEqualTo(Float.NEGATIVE_INFINITY);
        }
    }

    // ------------------------------------------------------------------ HyperAttention convexity

    /**
     * Every HyperAttention output row is a convex combination of the value rows it may see, so each coordinate
     * lies between their minimum and maximum; a row that sees one key equals its value row. Covers partial last
     * blocks (n not a multiple of b), the causal recursion's zero-row padding (odd halves), and more samples than
     * keys.
     */
    static Stream<int[]> hyperSettings() {
        // n, blockSize, samples, causal
        return Stream.of(new int[] {300, 16, 32, 0}, new int[] {300, 16, 32, 1}, new int[] {37, 16, 8, 0},
                new int[] {37, 4, 8, 1}, new int[] {101, 8, 1000, 0}, new int[] {101, 8, 1000, 1},
                new int[] {64, 1, 3, 1}, new int[] {50, 64, 16, 0});
    }

    @ParameterizedTest
    @MethodSource("hyperSettings")
    void hyperAttentionRowsAreConvexCombinations(int[] s) {
        int n = s[0], d = 8;
        boolean causal = s[3] == 1;
        Random r = new Random(10 + n);
        FloatTensor q = random(r, 1, 2, n, d, 2), k = random(r, 1, 1, n, d, 2), v = random(r, 1, 1, n, d, 1);
        AttentionProblem out = run(approximate(s[1], s[2]), problem(q, k, v, causal));
        float[] lo = new float[d], hi = new float[d];
        for (int h = 0; h < 2; h++) {
            java.util.Arrays.fill(lo, Float.POSITIVE_INFINITY);
            java.util.Arrays.fill(hi, Float.NEGATIVE_INFINITY);
            if (!causal) {
                for (int j = 0; j < n; j++) {
                    widen(v, j, lo, hi);
                }
            }
            for (int i = 0; i < n; i++) {
                if (causal) {
                    widen(v, i, lo, hi);   // keys 0..i are the visible ones
                }
                for (int c = 0; c < d; c++) {
                    float x = out.output().get(0, h, i, c);
                    float slack = 1e-5f * Math.max(1, Math.abs(x));
                    assertThat(x).as("row %d head %d coordinate %d", i, h, c).isBetween(lo[c] - slack, hi[c] + slack);
                }
                assertThat(out.logSumExp()[out.lseIndex(0, h, i)]).isFinite();
            }
            if (causal) {
                for (int c = 0; c < d; c++) {
                    assertThat(out.output().get(0, h, 0, c)).isCloseTo(v.get(0, 0, 0, c), within(1e-6f));
                }
            }
        }
    }

    private static void widen(FloatTensor v, int j, float[] lo, float[] hi) {
        for (int c = 0; c < lo.length; c++) {
            lo[c] = Math.min(lo[c], v.get(0, 0, j, c));
            hi[c] = Math.max(hi[c], v.get(0, 0, j, c));
        }
    }

    @ParameterizedTest
    @MethodSource("hyperSettings")
    void hyperAttentionOfEqualValuesIsThatValueWhateverItSamples(int[] s) {
        int n = s[0], d = 4;
        Random r = new Random(20 + n);
        float[] va = new float[n * d];
        for (int j = 0; j < n; j++) {
            va[j * d] = 0.5f;
            va[j * d + 1] = -3f;
            va[j * d + 3] = 1e3f;
        }
        // large logits too: the estimate's weights span many orders of magnitude, the result may not
        AttentionProblem out = run(approximate(s[1], s[2]),
                problem(random(r, 1, 1, n, d, 30), random(r, 1, 1, n, d, 30), FloatTensor.of(va, 1, 1, n, d),
                        s[3] == 1));
        // weights summed in float32 in several partial sums (vector lanes, block and sample parts, merges): the
        // ratio Σw·v / Σw of equal v is v up to a relative rounding error of a few hundred ulps
        for (int i = 0; i < n; i++) {
            assertThat(out.output().get(0, 0, i, 0)).isCloseTo(0.5f, within(0.5f * 1e-4f));
            assertThat(out.output().get(0, 0, i, 1)).isCloseTo(-3f, within(3f * 1e-4f));
            assertThat(out.output().get(0, 0, i, 2)).isZero();
            assertThat(out.output().get(0, 0, i, 3)).isCloseTo(1e3f, within(1e3f * 1e-4f));
        }
    }

    /**
     * With logits up to ±1e30 the block part and the sampled part have normalisers hundreds of orders of magnitude
     * apart; the merge must still weight them into a convex combination (never NaN, never outside the values).
     */
    @ParameterizedTest
    @MethodSource("hyperSettings")
    void hyperAttentionStaysConvexAtExtremeLogits(int[] s) {
        int n = s[0], d = 4;
        Random r = new Random(30 + n);
        FloatTensor v = random(r, 1, 1, n, d, 1);
        for (float magnitude : new float[] {1e2f, 1e4f, 1e15f}) {
            FloatTensor q = random(r, 1, 1, n, d, magnitude), k = random(r, 1, 1, n, d, 1);
            AttentionProblem out = run(approximate(s[1], s[2]), problem(q, k, v, s[3] == 1).withScale(1f));
            float[] lo = new float[d], hi = new float[d];
            java.util.Arrays.fill(lo, Float.POSITIVE_INFINITY);
            java.util.Arrays.fill(hi, Float.NEGATIVE_INFINITY);
            for (int i = 0; i < n; i++) {
                widen(v, i, lo, hi);
                for (int c = 0; c < d; c++) {
                    float x = out.output().get(0, 0, i, c);
                    assertThat(x).as("row %d at logit magnitude %g", i, magnitude)
                            .isBetween(s[3] == 1 ? lo[c] - 1e-5f : -1e9f, s[3] == 1 ? hi[c] + 1e-5f : 1e9f);
                }
            }
            if (s[3] == 0) {   // non-causal: compare with the full value range
                for (int i = 0; i < n; i++) {
                    for (int c = 0; c < d; c++) {
                        assertThat(out.output().get(0, 0, i, c)).isBetween(lo[c] - 1e-5f, hi[c] + 1e-5f);
                    }
                }
            }
        }
    }

    @Test
    void hyperAttentionWithTheWholeSequenceInOneBlockIsExact() {
        Random r = new Random(11);
        int n = 200;
        AttentionProblem p = problem(random(r, 1, 2, n, 16, 1), random(r, 1, 1, n, 16, 1), random(r, 1, 1, n, 16, 1),
                false);
        assertMatchesOracle(approximate(256, 64), p);
    }
}

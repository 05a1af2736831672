package dev.hyperattention4j.attention;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hyperattention4j.kernel.VectorWidth;
import dev.hyperattention4j.reference.NaiveAttention;
import dev.hyperattention4j.runtime.WorkerPool;
import dev.hyperattention4j.tensor.FloatTensor;
import dev.hyperattention4j.testing.TestTensors;
import dev.hyperattention4j.testing.TestPools;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * FlashAttention against the double-precision oracle over a seeded sample of the shape space: lengths 1..~5000
 * (including primes and non-multiples of the 128 tile), head dims 8..128, causal or not, GQA ratios 1/2/4/8 and
 * nq != nk. The full cross product at n = 5000 would take minutes, so large n is sampled with small products.
 *
 * <p>Tolerances: output {@code max|err|/max|ref| <= 1e-5} and log-sum-exp {@code |err|/max(1,|L|) <= 1e-6}. Float32
 * scores carry about 1e-7 relative rounding per product and the exp2 polynomial about 1e-7, so the output error
 * measured is 1e-6 or below; the bound leaves a 10× margin. The build also runs this class at 128 and 256 bits.
 */
class FlashVsNaiveTest {
    private static final WorkerPool pool = TestPools.twoThreads();
    private static double worstOutput, worstLse;   // reported once, to state the achieved accuracy

    @AfterAll
    static void report() {
        System.out.printf("FlashVsNaiveTest at %s: worst output error %.2e, worst log-sum-exp error %.2e%n",
                VectorWidth.describe(), worstOutput, worstLse);
    }

    static Stream<Arguments> shapes() {
        List<Arguments> cases = new ArrayList<>();
        // hand-picked corners: single rows and keys, tile boundaries, cross attention both ways
        int[][] fixed = {
                // batch, kvHeads, group, nq, nk, d, causal
                {1, 1, 1, 1, 1, 8, 0}, {1, 1, 1, 1, 1, 8, 1}, {1, 1, 1, 1, 7, 16, 1}, {1, 1, 1, 7, 1, 16, 0},
                {1, 1, 1, 127, 127, 64, 1}, {1, 1, 1, 128, 128, 64, 1}, {1, 1, 1, 129, 129, 64, 1},
                {1, 1, 1, 255, 257, 80, 0}, {1, 1, 1, 257, 255, 80, 1}, {2, 2, 4, 131, 300, 32, 1},
                {1, 1, 8, 64, 513, 128, 1}, {1, 2, 2, 300, 173, 64, 1}, {1, 1, 1, 1000, 1, 64, 1},
                {1, 1, 1, 4999, 4999, 16, 1}, {1, 1, 1, 97, 5003, 128, 0}, {1, 1, 1, 2048, 2048, 64, 0},
                // head dims beyond two 64-column query blocks, with query chunks of 264 rows and a partial last one
                {1, 1, 1, 530, 530, 200, 1}, {1, 1, 2, 265, 300, 192, 0},
        };
        for (int[] f : fixed) {
            cases.add(Arguments.of(f[0], f[1], f[2], f[3], f[4], f[5], f[6] == 1, 11L));
        }
        // a seeded random sample of the rest of the space, kept small in nq·nk·d
        Random r = new Random(20240603);
        int[] dims = {8, 16, 32, 64, 80, 128};
        int[] groups = {1, 2, 4, 8};
        for (int i = 0; i < 24; i++) {
            int d = dims[r.nextInt(dims.length)];
            int g = groups[r.nextInt(groups.length)];
            int nq = 1 + r.nextInt(r.nextBoolean() ? 300 : 1200);
            int nk = r.nextBoolean() ? nq : 1 + r.nextInt(1200);
            cases.add(Arguments.of(1 + r.nextInt(2), 1 + r.nextInt(2), g, nq, nk, d, r.nextBoolean(), r.nextLong()));
        }
        // the full grid of head dims × masks × GQA ratios at small, odd lengths (cheap: every combination is met)
        for (int d : dims) {
            for (int causal = 0; causal < 2; causal++) {
                for (int g : groups) {
                    int nq = 1 + r.nextInt(150), nk = causal == 1 && r.nextBoolean() ? nq : 1 + r.nextInt(150);
                    cases.add(Arguments.of(1 + r.nextInt(2), 1 + r.nextInt(2), g, nq, nk, d, causal == 1, r.nextLong()));
                }
            }
        }
        return cases.stream();
    }

    /** The memory layouts a caller may hand in: contiguous, heads interleaved by strides, and memory segments. */
    enum Layout { CONTIGUOUS, SEQUENCE_MAJOR, SEGMENT }

    /** A copy of {@code x} in {@code layout}: [B][n][H][d] by strides (as models store it), or an off-heap segment. */
    static FloatTensor inLayout(FloatTensor x, Layout layout, java.lang.foreign.Arena arena) {
        final int b = x.batch(), h = x.heads(), n = x.length(), d = x.dim();
        final FloatTensor copy = switch (layout) {
            case CONTIGUOUS -> FloatTensor.zeros(b, h, n, d);
            case SEQUENCE_MAJOR -> FloatTensor.strided(new float[b * h * n * d + 3], 3, new int[] {b, h, n, d},
                    new long[] {(long) n * h * d, d, (long) h * d, 1});
            case SEGMENT -> FloatTensor.of(arena.allocate(4L * b * h * n * d + 4, 64), 4, b, h, n, d);
        };
        for (int i = 0; i < b; i++) {
            for (int j = 0; j < h; j++) {
                for (int t = 0; t < n; t++) {
                    for (int c = 0; c < d; c++) {
                        copy.set(i, j, t, c, x.get(i, j, t, c));
                    }
                }
            }
        }
        return copy;
    }

    @ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.EnumSource(Layout.class)
    void matchesOracleOnStridedAndSegmentInputsAndOutputs(Layout layout) {
        Random r = new Random(5);
        FloatTensor q = TestTensors.gaussian(r, 1, 2, 4, 301, 64), k = TestTensors.gaussian(r, 1, 2, 2, 290, 64);
        FloatTensor v = TestTensors.gaussian(r, 1, 2, 2, 290, 64);
        AttentionProblem expected = AttentionProblem.of(q, k, v).withCausal(true).withLogSumExp();
        new NaiveAttention().forward(expected);
        try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofShared()) {
            FloatTensor out = inLayout(FloatTensor.zeros(2, 4, 301, 64), layout, arena);
            AttentionProblem actual = AttentionProblem.of(inLayout(q, layout, arena), inLayout(k, layout, arena),
                    inLayout(v, layout, arena)).withOutput(out).withCausal(true).withLogSumExp();
            new FlashAttention(pool).forward(actual);
            assertThat(TestTensors.maxNormalisedError(expected.output().toArray(), out.toArray()))
                    .as("output error, %s", layout).isLessThanOrEqualTo(1e-5);
            assertThat(TestTensors.logSumExpError(expected.logSumExp(), actual.logSumExp()))
                    .as("log-sum-exp error, %s", layout).isLessThanOrEqualTo(1e-6);
        }
    }

    @ParameterizedTest(name = "B={0} Hkv={1} g={2} nq={3} nk={4} d={5} causal={6}")
    @MethodSource("shapes")
    void matchesOracle(int batch, int kvHeads, int group, int nq, int nk, int d, boolean causal, long seed) {
        Random r = new Random(seed);
        FloatTensor q = TestTensors.gaussian(r, 1, batch, kvHeads * group, nq, d);
        FloatTensor k = TestTensors.gaussian(r, 1, batch, kvHeads, nk, d);
        FloatTensor v = TestTensors.gaussian(r, 1, batch, kvHeads, nk, d);
        AttentionProblem expected = AttentionProblem.of(q, k, v).withCausal(causal).withLogSumExp();
        AttentionProblem actual = AttentionProblem.of(q, k, v).withCausal(causal).withLogSumExp();
        new NaiveAttention().forward(expected);
        new FlashAttention(pool).forward(actual);

        double outErr = TestTensors.maxNormalisedError(expected.output().toArray(), actual.output().toArray());
        double lseErr = TestTensors.logSumExpError(expected.logSumExp(), actual.logSumExp());
        worstOutput = Math.max(worstOutput, outErr);
        worstLse = Math.max(worstLse, lseErr);
        assertThat(outErr).as("output error at %s", VectorWidth.describe()).isLessThanOrEqualTo(1e-5);
        assertThat(lseErr).as("log-sum-exp error at %s", VectorWidth.describe()).isLessThanOrEqualTo(1e-6);
    }
}

package dev.hyperattention4j.llm.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.hyperattention4j.attention.FlashAttention;
import dev.hyperattention4j.llm.model.BlockLayout;
import dev.hyperattention4j.llm.model.DType;
import dev.hyperattention4j.llm.model.ModelConfig;
import dev.hyperattention4j.llm.model.RopeScaling;
import dev.hyperattention4j.llm.model.RopeStyle;
import dev.hyperattention4j.runtime.WorkerPool;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The frequency formulas of {@link Rope} against values stated independently (the llama3 divisors listed in the
 * rope-llama3 golden's README, the YaRN ramp's end points), partial rotary dims, and dynamic NTK scaling against
 * its definition: a prompt of length L past the original context runs with the base for L.
 */
class RopeScalingTest {
    @Test
    void llama3MatchesTheConvertersDivisors() {
        // rope-llama3 README: factor 8, low 1, high 4, original context 256, theta 1e4, 64 rotary dims
        double[] plain = Rope.inverseFrequencies(10000, 64, RopeScaling.NONE, 0);
        double[] scaled = Rope.inverseFrequencies(10000, 64, RopeScaling.llama3(8, 256, 1, 4), 0);
        double[] expected = new double[32];
        java.util.Arrays.fill(expected, 8);
        java.util.Arrays.fill(expected, 0, 9, 1);
        expected[9] = 1.38031;
        expected[10] = 1.99364;
        expected[11] = 2.9899;
        expected[12] = 4.78183;
        for (int i = 0; i < 32; i++) {
            assertThat(plain[i] / scaled[i]).as("divisor " + i).isCloseTo(expected[i], within(2e-5 * expected[i]));
        }
    }

    @Test
    void yarnKeepsFastDimensionsAndInterpolatesSlowOnes() {
        double[] plain = Rope.inverseFrequencies(1e6, 64, RopeScaling.NONE, 0);
        double[] yarn = Rope.inverseFrequencies(1e6, 64, RopeScaling.yarn(4, 256, 32, 1), 0);
        assertThat(yarn[0]).isEqualTo(plain[0]);              // many rotations in the original context: unchanged
        assertThat(yarn[31]).isCloseTo(plain[31] / 4, within(1e-15)); // less than one rotation: interpolated
        for (int i = 1; i < 32; i++) {
            double ratio = plain[i] / yarn[i];
            assertThat(ratio).isBetween(1.0, 4.0);
            assertThat(ratio).isGreaterThanOrEqualTo(plain[i - 1] / yarn[i - 1] - 1e-12); // a monotone ramp
        }
        assertThat(Rope.inverseFrequencies(1e4, 64, RopeScaling.linear(4), 0)[5])
                .isEqualTo(Rope.inverseFrequencies(1e4, 64, RopeScaling.NONE, 0)[5] / 4);
    }

    @Test
    void partialRotaryLeavesTheRestOfTheHead() {
        Rope rope = new Rope(RopeStyle.ROTATE_HALF, 16, 8, 10000, RopeScaling.NONE, 8);
        float[] v = new float[32];
        for (int i = 0; i < v.length; i++) {
            v[i] = i + 1;
        }
        float[] before = v.clone();
        rope.apply(v, 0, 2, 5);
        for (int h = 0; h < 2; h++) {
            for (int i = 8; i < 16; i++) {
                assertThat(v[h * 16 + i]).isEqualTo(before[h * 16 + i]);
            }
            // rotate-half pairs (i, i + 4) within the rotary part keep their norm
            for (int i = 0; i < 4; i++) {
                double a = before[h * 16 + i], b = before[h * 16 + i + 4];
                double c = v[h * 16 + i], d = v[h * 16 + i + 4];
                assertThat(c * c + d * d).isCloseTo(a * a + b * b, within(1e-3));
            }
        }
        assertThat(v[0]).isNotEqualTo(before[0]);
    }

    private static ModelConfig config(RopeScaling scaling, float theta) {
        return new ModelConfig("synthetic", "llama", 32, 48, 2, 4, 2, 8, 50, 16, 1e-5f, theta, RopeStyle.ROTATE_HALF,
                false, false, 1, 2, BlockLayout.LLAMA, 8, scaling, 0);
    }

    @Test
    void dynamicNtkUsesTheBaseOfTheSequenceLength() {
        int n = 40, original = 16;
        double factor = 2;
        double base = 10000 * Math.pow(factor * n / original - (factor - 1), 8 / 6.0);
        int[] tokens = new Random(3).ints(n, 0, 50).toArray();
        try (WorkerPool pool = new WorkerPool(1)) {
            SyntheticModel dyn = new SyntheticModel(config(RopeScaling.dynamic(factor, original), 10000f), 7,
                    DType.F32, false);
            SyntheticModel fixed = new SyntheticModel(config(RopeScaling.NONE, (float) base), 7, DType.F32, false);
            LlamaSession a = LlamaModel.of(dyn.config, dyn).newSession(n, AttentionPlan.exact(new FlashAttention(pool)),
                    pool);
            LlamaSession b = LlamaModel.of(fixed.config, fixed).newSession(n,
                    AttentionPlan.exact(new FlashAttention(pool)), pool);
            float[] la = a.forwardLast(tokens).clone();
            float[] lb = b.forwardLast(tokens);
            for (int v = 0; v < 50; v++) {
                assertThat(la[v]).isCloseTo(lb[v], within(2e-4f));
            }
            // within the original context nothing changes
            a.reset();
            b.reset();
            SyntheticModel plain = new SyntheticModel(config(RopeScaling.NONE, 10000f), 7, DType.F32, false);
            LlamaSession c = LlamaModel.of(plain.config, plain).newSession(n,
                    AttentionPlan.exact(new FlashAttention(pool)), pool);
            int[] shortPrompt = java.util.Arrays.copyOf(tokens, original);
            assertThat(a.forwardLast(shortPrompt).clone()).containsExactly(c.forwardLast(shortPrompt));
        }
    }
}

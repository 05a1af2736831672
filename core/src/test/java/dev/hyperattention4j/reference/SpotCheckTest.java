package dev.hyperattention4j.reference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.hyperattention4j.attention.AttentionProblem;
import dev.hyperattention4j.attention.hyper.CheckedAttention;
import dev.hyperattention4j.reference.NaiveAttention;
import dev.hyperattention4j.tensor.FloatTensor;
import dev.hyperattention4j.testing.TestTensors;
import java.util.Random;
import org.junit.jupiter.api.Test;

class SpotCheckTest {

    private static AttentionProblem exactProblem(boolean causal) {
        Random r = new Random(7);
        FloatTensor q = TestTensors.gaussian(r, 1, 1, 4, 96, 16);
        FloatTensor k = TestTensors.gaussian(r, 1, 1, 2, 96, 16);
        FloatTensor v = TestTensors.gaussian(r, 1, 1, 2, 96, 16);
        AttentionProblem p = AttentionProblem.of(q, k, v).withCausal(causal).withLogSumExp();
        new NaiveAttention().forward(p);
        return p;
    }

    @Test
    void exactOutputHasNoError() {
        for (boolean causal : new boolean[] {false, true}) {
            SpotCheck.Result r = SpotCheck.measure(exactProblem(causal), 20, 1);
            assertThat(r.rows()).isEqualTo(20);
            assertThat(r.relError()).isLessThan(1e-6);
            assertThat(r.meanLseError()).isLessThan(1e-5);
        }
    }

    @Test
    void checkingEveryRowGivesTheFullFrobeniusError() {
        AttentionProblem p = exactProblem(true);
        float[] exact = p.output().toArray();
        float[] noisy = exact.clone();
        Random r = new Random(3);
        for (int i = 0; i < noisy.length; i++) {
            noisy[i] += (float) (0.05 * r.nextGaussian());
        }
        double num = 0, den = 0;
        for (int i = 0; i < exact.length; i++) {
            num += (noisy[i] - exact[i]) * (double) (noisy[i] - exact[i]);
            den += exact[i] * (double) exact[i];
        }
        AttentionProblem perturbed = p.withOutput(FloatTensor.of(noisy, 1, 4, 96, 16));
        SpotCheck.Result all = SpotCheck.measure(perturbed, 4 * 96, 0);
        assertThat(all.rows()).isEqualTo(4 * 96);
        assertThat(all.relError()).isCloseTo(Math.sqrt(num / den), within(1e-4));
        // both readings equal the full comparison's (AttentionError) when every row is checked
        AttentionError full = AttentionError.of(perturbed.output(), p.output(), p.value());
        assertThat(all.error().vsOutput()).isCloseTo(full.vsOutput(), within(1e-6));
        assertThat(all.error().vsValues()).isCloseTo(full.vsValues(), within(1e-6 * full.vsValues()));
        assertThat(all.error().worstRowVsValues()).isCloseTo(full.worstRowVsValues(),
                within(1e-6 * full.worstRowVsValues()));
        assertThat(full.vsValues()).isLessThan(full.vsOutput());   // on N(0,1) inputs ‖O‖ is much smaller than ‖V‖
        // a sample of rows estimates the same quantity
        SpotCheck.Result some = SpotCheck.measure(perturbed, 64, 11);
        assertThat(some.relError()).isCloseTo(all.relError(), within(0.35 * all.relError()));
        assertThat(some.maxRowError()).isGreaterThanOrEqualTo(some.relError() * 0.5);
        assertThat(some.error().vsValues()).isCloseTo(full.vsValues(), within(0.35 * full.vsValues()));
        // pooled checks give the figures of one check over all their rows
        SpotCheck.Tally tally = new SpotCheck.Tally();
        tally.add(SpotCheck.measure(perturbed, 4 * 96, 0));
        tally.add(SpotCheck.measure(perturbed, 4 * 96, 1));
        assertThat(tally.error().vsValues()).isCloseTo(full.vsValues(), within(1e-6 * full.vsValues()));
        assertThat(tally.error().worstRowVsValues()).isCloseTo(full.worstRowVsValues(),
                within(1e-6 * full.worstRowVsValues()));
        assertThat(new SpotCheck.Tally().error().vsValues()).isNaN();
    }

    @Test
    void checkedAttentionPoolsEveryCall() {
        AttentionProblem p = exactProblem(false);
        CheckedAttention checked = new CheckedAttention(new NaiveAttention(), 8, 5);
        checked.forward(p.withOutput(FloatTensor.zeros(1, 4, 96, 16)));
        checked.forward(p.withOutput(FloatTensor.zeros(1, 4, 96, 16)));
        assertThat(checked.tally().calls()).isEqualTo(2);
        assertThat(checked.tally().rows()).isEqualTo(16);
        assertThat(checked.tally().relError()).isLessThan(1e-6);
        assertThat(checked.name()).isEqualTo("naive");
        assertThatThrownBy(() -> new CheckedAttention(new NaiveAttention(), 0, 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("k >= 1");
    }
}

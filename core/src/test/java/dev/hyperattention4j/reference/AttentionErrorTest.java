package dev.hyperattention4j.reference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.hyperattention4j.tensor.FloatTensor;
import org.junit.jupiter.api.Test;

class AttentionErrorTest {

    /**
     * Hand-computed case, one head of 2 rows, d = 2: O = [[1,0],[0,1]], Ô = [[1,0],[0,2]], V rows of norm 2 and 0.
     * ‖Ô−O‖ = 1, ‖O‖ = √2, ‖V‖_F = 2 (rms row norm √2), worst row error 1.
     */
    @Test
    void measuresMatchTheirDefinitions() {
        FloatTensor exact = FloatTensor.of(new float[] {1, 0, 0, 1}, 1, 1, 2, 2);
        FloatTensor approx = FloatTensor.of(new float[] {1, 0, 0, 2}, 1, 1, 2, 2);
        FloatTensor values = FloatTensor.of(new float[] {2, 0, 0, 0}, 1, 1, 2, 2);
        AttentionError e = AttentionError.of(approx, exact, values);
        assertThat(e.vsOutput()).isCloseTo(1 / Math.sqrt(2), within(1e-12));
        // ‖Ô−O‖_F / ‖V‖_F = 1/2, the same as rms row error (1/√2) over rms value row norm (√2)
        assertThat(e.vsValues()).isCloseTo(0.5, within(1e-12));
        assertThat(e.worstRowVsValues()).isCloseTo(1 / Math.sqrt(2), within(1e-12));
        assertThat(AttentionError.relativeToOutput(approx, exact)).isEqualTo(e.vsOutput());
        assertThat(AttentionError.of(exact, exact, values).vsValues()).isZero();
    }

    @Test
    void refusesOutputsOfDifferentShapes() {
        FloatTensor a = FloatTensor.zeros(1, 1, 2, 2), b = FloatTensor.zeros(1, 1, 3, 2);
        assertThatThrownBy(() -> AttentionError.of(a, b, b)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("differ in shape");
    }
}

package dev.hyperattention4j.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

class VectorWidthTest {

    @Test
    void zeroMeansPreferredAndNarrowerWidthsAreHonoured() {
        assertThat(VectorWidth.select(0)).isEqualTo(FloatVector.SPECIES_PREFERRED);
        assertThat(VectorWidth.select(128).vectorBitSize()).isEqualTo(128);
        assertThat(VectorWidth.select(128).length()).isEqualTo(4);
    }

    @Test
    void theSelectedSpeciesFollowsThePropertyOrThePreferredWidth() {
        int forced = Integer.getInteger(VectorWidth.PROPERTY, 0);
        int expected = forced == 0 ? FloatVector.SPECIES_PREFERRED.vectorBitSize() : forced;
        assertThat(VectorWidth.FLOAT.vectorBitSize()).isEqualTo(expected);
        assertThat(VectorWidth.LANES).isEqualTo(expected / 32);
    }

    @Test
    void unsupportedWidthsAreRejectedWithTheProperty() {
        assertThatThrownBy(() -> VectorWidth.select(64)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("ha4j.vectorBits=64");
        assertThatThrownBy(() -> VectorWidth.select(1024)).isInstanceOf(IllegalArgumentException.class);
    }
}

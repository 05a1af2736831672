package dev.hyperattention4j.tensor;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

/** Bad views are refused with an IllegalArgumentException that names the argument and the expected shape. */
class FloatTensorValidationTest {

    @Test
    void nullArraysAndSegmentsAreNamedWithTheShapeTheyShouldHold() {
        assertThatThrownBy(() -> FloatTensor.of((float[]) null, 1, 2, 3, 4))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("data is null")
                .hasMessageContaining("[1][2][3][4]");
        assertThatThrownBy(() -> FloatTensor.strided((float[]) null, 0, new int[] {1, 1, 2, 8}, new long[] {16, 16, 8, 1}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("data is null");
        assertThatThrownBy(() -> FloatTensor.of((MemorySegment) null, 0, 1, 2, 3, 4))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("segment is null")
                .hasMessageContaining("[1][2][3][4]");
    }

    @Test
    void zeroOrNegativeLengthsNameTheDimension() {
        assertThatThrownBy(() -> FloatTensor.zeros(1, 1, 0, 16))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("length is 0");
        assertThatThrownBy(() -> FloatTensor.of(new float[64], 1, -2, 4, 8))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("heads is -2");
        assertThatThrownBy(() -> FloatTensor.zeros(1, 1, 1, 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("dim is 0");
    }

    @Test
    void viewsReachingPastTheirStorageAreRefused() {
        assertThatThrownBy(() -> FloatTensor.of(new float[63], 1, 2, 4, 8))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("reaches element 63")
                .hasMessageContaining("holds 63");
        assertThatThrownBy(() -> FloatTensor.zeros(65536, 65536, 1, 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("more than a float[] can");
    }
}

package dev.hyperattention4j.attention.hyper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class HyperConfigTest {

    @ParameterizedTest(name = "b={0} m={1} r={2} min={3} -> {4}")
    @CsvSource({
            "0, 256, 7, 4096, 'blockSize (b) must be >= 1, got 0'",
            "-5, 256, 7, 4096, 'blockSize (b) must be >= 1, got -5'",
            "256, -1, 7, 4096, 'sampleSize (m) must be >= 0 (0 = block-diagonal only), got -1'",
            "256, 256, -1, 4096, 'numProjections (r) must be in [0, 16] (0 = plain local blocks), got -1'",
            "256, 256, 17, 4096, 'numProjections (r) must be in [0, 16] (0 = plain local blocks), got 17'",
            "256, 256, 7, 0, 'minSeqLen must be >= 1, got 0'",
    })
    void badSettingsAreRejectedWithTheirNameAndRange(int b, int m, int r, int min, String message) {
        assertThatThrownBy(() -> new HyperConfig(b, m, r, min, 1, 0, HyperConfig.Compat.OFF))
                .isInstanceOf(IllegalArgumentException.class).hasMessage(message);
    }

    @ParameterizedTest
    @CsvSource({"1, 0, 0, 1", "256, 256, 7, 4096", "4096, 0, 16, 1"})
    void boundaryValuesAreAccepted(int b, int m, int r, int min) {
        HyperConfig c = new HyperConfig(b, m, r, min, 1, 0, HyperConfig.Compat.OFF);
        assertThat(c.blockSize()).isEqualTo(b);
        assertThat(c.numProjections()).isEqualTo(r);
    }

    @org.junit.jupiter.api.Test
    void defaultsAreThePapers() {
        HyperConfig c = HyperConfig.defaults();
        assertThat(new int[] {c.blockSize(), c.sampleSize(), c.numProjections(), c.minSeqLen()})
                .containsExactly(256, 256, 7, 4096);
        assertThat(c.compat()).isEqualTo(HyperConfig.Compat.OFF);
    }

    @org.junit.jupiter.api.Test
    void injectedProjectionMustMatchR() {
        float[][] w = new float[8][3];
        assertThatThrownBy(() -> new HyperAttention(HyperConfig.defaults(),
                dev.hyperattention4j.runtime.WorkerPool.shared(), w))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("r = 3")
                .hasMessageContaining("numProjections is 7");
    }
}

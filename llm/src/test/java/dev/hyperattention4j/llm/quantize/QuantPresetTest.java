package dev.hyperattention4j.llm.quantize;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hyperattention4j.llm.model.DType;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link QuantPreset}'s rule on shapes the 2-layer goldens cannot show: a 16-layer model (Llama 3.2 1B's depth),
 * row-length fallbacks, vectors, tied output heads. Expected values are worked out by hand from the rule as the class
 * comment states it (the goldens' EncoderGoldenTest checks the rule against the reference quantiser's files).
 */
class QuantPresetTest {
    private static final long[] MATRIX = {2048, 2048};

    private static List<Integer> layersWith(QuantPreset p, String role, DType type, int layers) {
        List<Integer> out = new ArrayList<>();
        for (int l = 0; l < layers; l++) {
            if (p.typeOf("blk." + l + "." + role + ".weight", MATRIX, layers, 4, true) == type) {
                out.add(l);
            }
        }
        return out;
    }

    @Test
    void mediumPresetsSpendMoreBitsOnTheEdgesAndEveryThirdLayer() {
        // first 16/8 = 2 layers, last 2 (>= 14), and (l - 2) % 3 == 2: 4, 7, 10, 13
        List<Integer> expected = List.of(0, 1, 4, 7, 10, 13, 14, 15);
        assertThat(layersWith(QuantPreset.Q4_K_M, "attn_v", DType.Q6_K, 16)).isEqualTo(expected);
        assertThat(layersWith(QuantPreset.Q4_K_M, "ffn_down", DType.Q6_K, 16)).isEqualTo(expected);
        assertThat(layersWith(QuantPreset.Q5_K_M, "ffn_down", DType.Q6_K, 16)).isEqualTo(expected);
        assertThat(layersWith(QuantPreset.Q4_K_M, "attn_q", DType.Q4_K, 16)).hasSize(16);
        assertThat(layersWith(QuantPreset.Q4_K_S, "attn_v", DType.Q5_K, 16)).isEqualTo(List.of(0, 1, 2, 3));
        assertThat(layersWith(QuantPreset.Q4_K_S, "ffn_down", DType.Q5_K, 16)).isEqualTo(List.of(0, 1));
        assertThat(layersWith(QuantPreset.Q3_K_M, "ffn_down", DType.Q5_K, 16)).isEqualTo(List.of(0));
        assertThat(layersWith(QuantPreset.Q3_K_M, "attn_v", DType.Q5_K, 16)).isEqualTo(List.of(0, 1));
        assertThat(layersWith(QuantPreset.Q3_K_L, "attn_output", DType.Q5_K, 16)).hasSize(16);
        // 4 query heads per KV head: Q2_K's attn_v gets Q4_K
        assertThat(layersWith(QuantPreset.Q2_K, "attn_v", DType.Q4_K, 16)).hasSize(16);
    }

    @Test
    void outputHeadsVectorsAndFallbacks() {
        assertThat(QuantPreset.Q4_0.typeOf("token_embd.weight", MATRIX, 16, 4, true)).isEqualTo(DType.Q6_K);
        assertThat(QuantPreset.Q4_0.typeOf("token_embd.weight", MATRIX, 16, 4, false)).isEqualTo(DType.Q4_0);
        assertThat(QuantPreset.Q8_0.typeOf("output.weight", MATRIX, 16, 4, false)).isEqualTo(DType.Q8_0);
        assertThat(QuantPreset.Q4_K_M.typeOf("blk.0.attn_norm.weight", new long[] {2048}, 16, 4, true))
                .isEqualTo(DType.F32);
        assertThat(QuantPreset.F16.typeOf("blk.0.attn_q.weight", MATRIX, 16, 4, true)).isEqualTo(DType.F16);
        assertThat(QuantPreset.F16.typeOf("blk.0.attn_q.bias", new long[] {2048}, 16, 4, true)).isEqualTo(DType.F32);
        long[] rows896 = {896, 896}; // Qwen2.5 0.5B's width: 3.5 super-blocks per row
        assertThat(QuantPreset.Q4_K_M.typeOf("blk.3.attn_q.weight", rows896, 24, 7, true)).isEqualTo(DType.Q5_0);
        assertThat(QuantPreset.Q5_K_S.typeOf("blk.3.attn_q.weight", rows896, 24, 7, true)).isEqualTo(DType.Q5_1);
        assertThat(QuantPreset.Q6_K.typeOf("blk.3.attn_q.weight", rows896, 24, 7, true)).isEqualTo(DType.Q8_0);
        assertThat(QuantPreset.Q2_K.typeOf("blk.3.attn_q.weight", rows896, 24, 7, true)).isEqualTo(DType.Q4_0);
        assertThat(QuantPreset.Q4_K_M.typeOf("blk.3.attn_q.weight", new long[] {40, 40}, 24, 7, true))
                .isEqualTo(DType.F16);
        assertThat(QuantPreset.parse("q4_k_m")).isEqualTo(QuantPreset.Q4_K_M);
        assertThat(QuantPreset.Q4_K_M.fileType()).isEqualTo(15);
        assertThat(QuantPreset.BF16.fileType()).isEqualTo(32);
    }
}

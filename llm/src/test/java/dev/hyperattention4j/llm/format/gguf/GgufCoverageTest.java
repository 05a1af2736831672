package dev.hyperattention4j.llm.format.gguf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hyperattention4j.llm.model.DType;
import dev.hyperattention4j.llm.model.Model;
import dev.hyperattention4j.llm.model.ModelLoader;
import dev.hyperattention4j.llm.model.RopeScaling;
import dev.hyperattention4j.llm.testing.GgufWriter;
import dev.hyperattention4j.llm.testing.TinyModels;
import java.nio.file.Path;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * GGUF metadata of issue 28: llama.cpp's RoPE scaling keys, the rope_freqs tensor, partial rotary dims and the
 * sliding-window key are read; other scaling types, unknown rope or architecture keys and contradictory
 * combinations are refused naming the key and its value.
 */
class GgufCoverageTest {
    @TempDir
    Path dir;

    private Model open(UnaryOperator<GgufWriter> edit) throws Exception {
        return ModelLoader.open(edit.apply(TinyModels.gguf(DType.F32, 3)).write(dir.resolve("m.gguf")));
    }

    private void refused(UnaryOperator<GgufWriter> edit, String... fragments) {
        assertThatThrownBy(() -> open(edit).close()).isInstanceOf(GgufFormatException.class)
                .hasMessageContainingAll(fragments);
    }

    @Test
    void scalingKeysAreRead() throws Exception {
        try (Model m = open(w -> w)) {
            assertThat(m.config().ropeScaling()).isEqualTo(RopeScaling.NONE);
            assertThat(m.config().slidingWindow()).isZero();
        }
        try (Model m = open(w -> w.putString("llama.rope.scaling.type", "linear")
                .putFloat32("llama.rope.scaling.factor", 4f))) {
            assertThat(m.config().ropeScaling()).isEqualTo(RopeScaling.linear(4));
        }
        try (Model m = open(w -> w.putString("llama.rope.scaling.type", "yarn")
                .putFloat32("llama.rope.scaling.factor", 4f).putUInt32("llama.rope.scaling.original_context_length", 32)
                .putFloat32("llama.rope.scaling.yarn_beta_fast", 16f))) {
            assertThat(m.config().ropeScaling()).isEqualTo(RopeScaling.yarn(4, 32, 16, 1));
        }
        try (Model m = open(w -> w.putFloat32("llama.rope.scale_linear", 2f))) {
            assertThat(m.config().ropeScaling()).isEqualTo(RopeScaling.linear(2));
        }
        int half = TinyModels.HEAD_DIM / 2;
        float[] divisors = new float[half];
        java.util.Arrays.fill(divisors, 2f);
        try (Model m = open(w -> w.addTensor("rope_freqs.weight", DType.F32, new long[] {half}, divisors))) {
            assertThat(m.config().ropeScaling()).isEqualTo(RopeScaling.divisors(divisors));
        }
        try (Model m = open(w -> w.putUInt32("llama.rope.dimension_count", TinyModels.HEAD_DIM / 2)
                .putUInt32("llama.attention.sliding_window", 64))) {
            assertThat(m.config().rotaryDims()).isEqualTo(TinyModels.HEAD_DIM / 2);
            assertThat(m.config().slidingWindow()).isEqualTo(64);
        }
    }

    @Test
    void unsupportedScalingIsRefused() {
        refused(w -> w.putString("llama.rope.scaling.type", "longrope").putFloat32("llama.rope.scaling.factor", 4f),
                "llama.rope.scaling.type", "'longrope'");
        refused(w -> w.putString("llama.rope.scaling.type", "linear"), "llama.rope.scaling.factor", "missing");
        refused(w -> w.putString("llama.rope.scaling.type", "linear").putFloat32("llama.rope.scaling.factor", 0.5f),
                "llama.rope.scaling.factor", "0.5");
        refused(w -> w.putFloat32("llama.rope.scaling.yarn_log_multiplier", 0.1f),
                "llama.rope.scaling.yarn_log_multiplier", "0.1");
        refused(w -> w.putString("llama.rope.scaling.type", "linear").putFloat32("llama.rope.scaling.factor", 2f)
                .putFloat32("llama.rope.scaling.yarn_beta_fast", 8f), "llama.rope.scaling.yarn_beta_fast");
        refused(w -> w.putString("llama.rope.scaling.type", "linear").putFloat32("llama.rope.scaling.factor", 2f)
                .addTensor("rope_freqs.weight", DType.F32, new long[] {TinyModels.HEAD_DIM / 2},
                        new float[TinyModels.HEAD_DIM / 2]), "rope_freqs.weight", "linear");
        refused(w -> w.addTensor("rope_freqs.weight", DType.F32, new long[] {3}, new float[3]), "rope_freqs.weight",
                "entries");
        refused(w -> w.putUInt32("llama.rope.dimension_count", 3), "llama.rope.dimension_count", "even");
    }

    @Test
    void unknownArchitectureKeysAreRefused() {
        refused(w -> w.putUInt32("llama.attention.logit_softcapping", 30), "llama.attention.logit_softcapping", "30");
        refused(w -> w.putUInt32("llama.expert_count", 8), "llama.expert_count", "mixture-of-experts");
        refused(w -> w.putFloat32("llama.attention.layer_norm_epsilon", 1e-5f), "llama.attention.layer_norm_epsilon");
        refused(w -> w.putUInt32("llama.attention.value_length", 16), "llama.attention.value_length");
    }
}

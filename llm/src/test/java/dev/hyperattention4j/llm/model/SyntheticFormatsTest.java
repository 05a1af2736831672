package dev.hyperattention4j.llm.model;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hyperattention4j.llm.testing.Quant;
import dev.hyperattention4j.llm.testing.TinyModels;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Every supported format variant, written by the test writers with known weights, opens through
 * {@link ModelLoader} into the same {@link ModelConfig} and gives back the weights that were written.
 */
class SyntheticFormatsTest {
    @TempDir
    Path tmp;

    @ParameterizedTest(name = "{0} {1} tied={2} shards={3}")
    @CsvSource({"llama,F32,true,1", "llama,F16,false,1", "llama,BF16,true,3", "mistral,BF16,false,1",
            "qwen2,F16,true,1", "qwen2,F32,false,2"})
    void safetensors(String modelType, DType type, boolean tied, int shards) throws Exception {
        Path dir = TinyModels.safetensors(tmp.resolve("m"), modelType, type, tied, shards);
        try (Model m = ModelLoader.open(dir)) {
            ModelConfig c = m.config();
            assertThat(c.format()).isEqualTo("safetensors");
            assertThat(c.architecture()).isEqualTo(modelType);
            assertThat(c.ropeStyle()).isEqualTo(RopeStyle.ROTATE_HALF);
            assertThat(c.ropeTheta()).isEqualTo(500000f);
            assertThat(c.tiedEmbeddings()).isEqualTo(tied);
            assertThat(c.attentionBias()).isEqualTo(modelType.equals("qwen2"));
            assertThat(new int[] {c.dim(), c.hiddenDim(), c.layers(), c.heads(), c.kvHeads(), c.headDim(),
                    c.vocabSize()}).containsExactly(TinyModels.DIM, TinyModels.HIDDEN, TinyModels.LAYERS,
                    TinyModels.HEADS, TinyModels.KV_HEADS, TinyModels.HEAD_DIM, TinyModels.VOCAB);
            LlamaWeights w = m.weights();
            assertThat(w.wq(1).type()).isEqualTo(type);
            assertValues(w.wq(1), type, TinyModels.values(w.wq(1).name(), w.wq(1).shape()));
            assertValues(w.output(), type, TinyModels.values(tied ? "model.embed_tokens.weight" : "lm_head.weight",
                    TinyModels.VOCAB, TinyModels.DIM));
            assertThat(w.output() == w.tokenEmbedding()).isEqualTo(tied);
            if (modelType.equals("qwen2")) {
                assertThat(w.bk(0).shape()).containsExactly(TinyModels.KV_HEADS * TinyModels.HEAD_DIM);
            } else {
                assertThat(w.bq(0)).isNull();
            }
            // "a a" → ▁a ▁a (the one merge), with the unknown "é" going to byte fallback <0xC3> <0xA9>
            assertThat(m.tokenizer().encode("a aé", true)).containsExactly(1, 261, 261, 3 + 0xC3, 3 + 0xA9);
            assertThat(m.tokenizer().decode(m.tokenizer().encode("a aé", true))).isEqualTo("a aé");
        }
    }

    @ParameterizedTest(name = "llama2.c export version {1}, shared classifier = {0}")
    @CsvSource({"true,0", "false,0", "true,1", "false,1"})
    void llama2c(boolean shared, int version) throws Exception {
        Path bin = TinyModels.llama2c(tmp.resolve("c"), shared, version);
        assertThat(ModelLoader.detect(bin)).isEqualTo(ModelLoader.Format.LLAMA2C);
        try (Model m = ModelLoader.open(bin)) {
            assertThat(m.config().tiedEmbeddings()).isEqualTo(shared);
            assertThat(m.config().ropeStyle()).isEqualTo(RopeStyle.INTERLEAVED);
            LlamaWeights w = m.weights();
            assertValues(w.ffnNorm(1), DType.F32, TinyModels.values("layers.1.ffn_norm.weight", TinyModels.DIM));
            assertValues(w.wv(0), DType.F32, TinyModels.values("layers.0.attention.wv.weight",
                    TinyModels.KV_HEADS * TinyModels.HEAD_DIM, TinyModels.DIM));
            assertValues(w.ffnDown(1), DType.F32, TinyModels.values("layers.1.feed_forward.w2.weight",
                    TinyModels.DIM, TinyModels.HIDDEN));
            assertValues(w.finalNorm(), DType.F32, TinyModels.values("norm.weight", TinyModels.DIM));
            assertValues(w.output(), DType.F32, TinyModels.values(shared ? "tok_embeddings.weight"
                    : "output.weight", TinyModels.VOCAB, TinyModels.DIM));
            assertThat(m.tokenizer().encode("a a", true)).containsExactly(1, 261, 261);
        }
    }

    @ParameterizedTest(name = "GGUF v{0} {1}")
    @CsvSource({"2,F32", "3,F16", "3,BF16", "3,Q8_0", "2,Q4_0"})
    void gguf(int version, DType type) throws Exception {
        Path file = TinyModels.gguf(type, version).write(tmp.resolve("tiny.gguf"));
        try (Model m = ModelLoader.open(file)) {
            assertThat(m.config().format()).isEqualTo("gguf");
            assertThat(m.config().tiedEmbeddings()).isFalse();
            assertThat(m.tokenizer().kind()).isEqualTo("gguf-llama");
            assertThat(m.tokenizer().encode("a a", true)).containsExactly(1, 261, 261);
            WeightTensor wk = m.weights().wk(0);
            assertThat(wk.type()).isEqualTo(type);
            // the packed bytes are exactly those written (kept in their encoding, not expanded)
            assertThat(wk.data().byteSize()).isEqualTo(type.bytesFor(wk.elementCount()));
            float[] written = TinyModels.values("blk.0.attn_k.weight", wk.shape());
            assertThat(Quant.toFloats(wk)).containsExactly(Quant.toFloats(new WeightTensor("x", type, wk.shape(),
                    java.lang.foreign.MemorySegment.ofArray(Quant.encode(written, type)))));
        }
    }

    @Test
    void ggufQwen2HasBiasesAndRotateHalf() throws Exception {
        Path file = TinyModels.gguf(DType.F16, 3, "qwen2").write(tmp.resolve("qwen2.gguf"));
        try (Model m = ModelLoader.open(file)) {
            assertThat(m.config().architecture()).isEqualTo("qwen2");
            // llama.cpp does not permute Qwen2's Q/K and runs NEOX (rotate-half) RoPE for it
            assertThat(m.config().ropeStyle()).isEqualTo(RopeStyle.ROTATE_HALF);
            assertThat(m.config().attentionBias()).isTrue();
            assertValues(m.weights().bq(1), DType.F32, TinyModels.values("blk.1.attn_q.bias",
                    TinyModels.HEADS * TinyModels.HEAD_DIM));
        }
    }

    @Test
    void directoryWithOneGgufOpens() throws Exception {
        TinyModels.gguf(DType.F32, 3).write(tmp.resolve("only.gguf"));
        try (Model m = ModelLoader.open(tmp)) {
            assertThat(m.config().format()).isEqualTo("gguf");
        }
    }

    private static void assertValues(WeightTensor t, DType type, float[] written) {
        float[] got = Quant.toFloats(t);
        assertThat(got).hasSize(written.length);
        float rel = switch (type) {
            case F32 -> 0f;
            case F16 -> 0x1p-11f;
            default -> 0x1p-8f; // BF16 keeps 8 significant bits
        };
        for (int i = 0; i < got.length; i++) {
            if (Math.abs(got[i] - written[i]) > Math.abs(written[i]) * rel + (rel == 0 ? 0 : 1e-7f)) {
                assertThat(got[i]).as(t.name() + "[" + i + "]").isEqualTo(written[i]);
            }
        }
    }
}

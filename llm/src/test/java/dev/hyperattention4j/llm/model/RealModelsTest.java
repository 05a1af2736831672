package dev.hyperattention4j.llm.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hyperattention4j.llm.format.io.BinaryReader;
import dev.hyperattention4j.llm.testing.SharedData;
import java.io.RandomAccessFile;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The two shared real models open through {@link ModelLoader} with the README's architecture and golden ids. */
class RealModelsTest {

    @Test
    void stories260kLlama2c() throws Exception {
        Path bin = SharedData.stories260k();
        try (Model model = ModelLoader.open(bin)) {
            ModelConfig c = model.config();
            assertThat(c.format()).isEqualTo("llama2c");
            assertThat(new int[] {c.dim(), c.hiddenDim(), c.layers(), c.heads(), c.kvHeads(), c.headDim(),
                    c.vocabSize(), c.contextLength()}).containsExactly(64, 172, 5, 8, 4, 8, 512, 512);
            assertThat(c.normEps()).isEqualTo(1e-5f);
            assertThat(c.ropeStyle()).isEqualTo(RopeStyle.INTERLEAVED);
            assertThat(c.tiedEmbeddings()).isTrue();
            assertThat(model.tokenizer().kind()).isEqualTo("llama2c");
            assertThat(model.tokenizer().encode("Zoo", true)).containsExactly(1, 410, 469, 347);
            LlamaWeights w = model.weights();
            assertThat(w.output()).isSameAs(w.tokenEmbedding());
            assertThat(w.wk(4).shape()).containsExactly(32, 64);
            assertThat(w.ffnDown(0).shape()).containsExactly(64, 172);
            // the mapping reads the file's own bytes: first embedding float and the final norm's first float
            try (RandomAccessFile raf = new RandomAccessFile(bin.toFile(), "r")) {
                raf.seek(28);
                float first = Float.intBitsToFloat(Integer.reverseBytes(raf.readInt()));
                assertThat(w.tokenEmbedding().data().get(BinaryReader.FLOAT, 0)).isEqualTo(first);
            }
            assertThat(model.tensors()).hasSize(1 + 5 * 9 + 1);
        }
        try (Model fromDirectory = ModelLoader.open(bin.getParent())) { // the directory finds the one checkpoint
            assertThat(fromDirectory.config().format()).isEqualTo("llama2c");
        }
    }

    @Test
    void tinystories656kSafetensors() throws Exception {
        Path dir = SharedData.tinystories656k();
        try (Model model = ModelLoader.open(dir)) {
            ModelConfig c = model.config();
            assertThat(c.format()).isEqualTo("safetensors");
            assertThat(c.architecture()).isEqualTo("llama");
            assertThat(new int[] {c.dim(), c.hiddenDim(), c.layers(), c.heads(), c.kvHeads(), c.headDim(),
                    c.vocabSize(), c.contextLength(), c.bosId(), c.eosId()})
                    .containsExactly(128, 384, 2, 8, 4, 16, 2048, 512, 1, 2);
            assertThat(c.normEps()).isEqualTo(1e-6f);
            assertThat(c.ropeStyle()).isEqualTo(RopeStyle.ROTATE_HALF);
            assertThat(c.tiedEmbeddings()).isTrue();
            assertThat(model.tokenizer().kind()).isEqualTo("hf-bpe");
            assertThat(model.tokenizer().vocabSize()).isEqualTo(2048);
            assertThat(model.tokenizer().encode("Once upon a time", true)).containsExactly(1, 80, 147, 201, 282, 57);
            LlamaWeights w = model.weights();
            // only lm_head.weight is stored; it serves as the embedding too
            assertThat(w.tokenEmbedding().name()).isEqualTo("lm_head.weight");
            assertThat(w.output()).isSameAs(w.tokenEmbedding());
            assertThat(w.wq(1).shape()).containsExactly(128, 128);
            assertThat(w.wk(1).shape()).containsExactly(64, 128);
            assertThat(model.tensors()).hasSize(20);
        }
    }

    @Test
    void closedModelRefusesWeights() throws Exception {
        Path bin = SharedData.stories260k();
        Model model = ModelLoader.open(bin);
        WeightTensor embedding = model.weights().tokenEmbedding();
        model.close();
        model.close(); // idempotent
        assertThatThrownBy(model::weights).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed")
                .hasMessageContaining("stories260K.bin");
        assertThatThrownBy(() -> embedding.data().get(BinaryReader.FLOAT, 0))
                .isInstanceOf(IllegalStateException.class);
    }
}

package dev.hyperattention4j.llm.format.gguf;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hyperattention4j.llm.model.DType;
import dev.hyperattention4j.llm.model.LlamaWeights;
import dev.hyperattention4j.llm.model.Model;
import dev.hyperattention4j.llm.model.ModelConfig;
import dev.hyperattention4j.llm.model.ModelLoader;
import dev.hyperattention4j.llm.model.RopeStyle;
import dev.hyperattention4j.llm.model.WeightTensor;
import dev.hyperattention4j.llm.testing.GgufConverter;
import dev.hyperattention4j.llm.testing.Quant;
import dev.hyperattention4j.llm.testing.SharedData;
import dev.hyperattention4j.llm.tokenizer.BpeTokenizer;
import dev.hyperattention4j.llm.tokenizer.Tokenizer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.IntFunction;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Both shared models converted to GGUF (F32, F16, Q8_0, Q4_0; v3, and v2 once) read back through
 * {@link ModelLoader} with the same description, the same tokenizer (pieces, types, golden ids, ids on a book
 * prefix) and the same weights: bit-exact for F32, to the encoding's precision otherwise.
 */
class GgufRoundTripTest {
    @TempDir
    Path tmp;

    static Stream<Arguments> cases() {
        return Stream.of("models/stories260K/stories260K.bin", "models/tinystories-656k").flatMap(m -> Stream.of(
                Arguments.of(m, DType.F32, 3), Arguments.of(m, DType.F16, 3), Arguments.of(m, DType.Q8_0, 3),
                Arguments.of(m, DType.Q4_0, 3), Arguments.of(m, DType.Q8_0, 2)));
    }

    @ParameterizedTest(name = "{0} as {1} (GGUF v{2})")
    @MethodSource("cases")
    void convertsAndReadsBack(String modelPath, DType type, int version) throws Exception {
        Path source = SharedData.require(modelPath);
        String book = Files.readString(SharedData.require("texts/alice.txt"), StandardCharsets.UTF_8)
                .substring(0, 20_000);
        try (Model original = ModelLoader.open(source)) {
            Path gguf = GgufConverter.convert(original, type, tmp.resolve("m.gguf"), version);
            assertThat(ModelLoader.detect(gguf)).isEqualTo(ModelLoader.Format.GGUF);
            try (Model converted = ModelLoader.open(gguf)) {
                ModelConfig a = original.config();
                ModelConfig b = converted.config();
                assertThat(b.format()).isEqualTo("gguf");
                assertThat(b.ropeStyle()).isEqualTo(RopeStyle.INTERLEAVED);
                assertThat(new Object[] {b.dim(), b.hiddenDim(), b.layers(), b.heads(), b.kvHeads(), b.headDim(),
                        b.vocabSize(), b.contextLength(), b.normEps(), b.ropeTheta(), b.tiedEmbeddings(),
                        b.bosId(), b.eosId()}).containsExactly(a.dim(), a.hiddenDim(), a.layers(), a.heads(),
                        a.kvHeads(), a.headDim(), a.vocabSize(), a.contextLength(), a.normEps(), a.ropeTheta(),
                        a.tiedEmbeddings(), a.bosId(), a.eosId());
                checkTokenizer(original.tokenizer(), converted.tokenizer(), book);
                checkWeights(original, converted, type);
            }
        }
    }

    private static void checkTokenizer(Tokenizer a, Tokenizer b, String book) {
        assertThat(b.kind()).isEqualTo("gguf-llama");
        assertThat(b.vocabSize()).isEqualTo(a.vocabSize());
        BpeTokenizer ta = (BpeTokenizer) a;
        BpeTokenizer tb = (BpeTokenizer) b;
        for (int i = 0; i < a.vocabSize(); i++) {
            if (tb.type(i) != ta.type(i)
                    || !tb.piece(i).replace('\u2581', ' ').equals(ta.piece(i).replace('\u2581', ' '))) {
                assertThat(tb.piece(i) + "/" + tb.type(i)).as("token " + i).isEqualTo(ta.piece(i) + "/" + ta.type(i));
            }
        }
        assertThat(b.encode("Zoo", true)).containsExactly(a.encode("Zoo", true));
        assertThat(b.encode("Once upon a time", true)).containsExactly(a.encode("Once upon a time", true));
        int[] ids = a.encode(book, true);
        assertThat(b.encode(book, true)).containsExactly(ids);
        assertThat(b.decode(ids)).isEqualTo(a.decode(ids));
    }

    private static void checkWeights(Model original, Model converted, DType type) {
        LlamaWeights a = original.weights();
        LlamaWeights b = converted.weights();
        ModelConfig c = original.config();
        boolean permute = c.ropeStyle() == RopeStyle.ROTATE_HALF;
        compare(a.tokenEmbedding(), b.tokenEmbedding(), type, 0);
        compare(a.finalNorm(), b.finalNorm(), type, 0);
        compare(a.output(), b.output(), type, 0);
        for (int l = 0; l < c.layers(); l++) {
            int layer = l;
            for (IntFunction<WeightTensor[]> role : java.util.List.<IntFunction<WeightTensor[]>>of(
                    x -> new WeightTensor[] {a.attentionNorm(layer), b.attentionNorm(layer)},
                    x -> new WeightTensor[] {a.wv(layer), b.wv(layer)},
                    x -> new WeightTensor[] {a.wo(layer), b.wo(layer)},
                    x -> new WeightTensor[] {a.ffnNorm(layer), b.ffnNorm(layer)},
                    x -> new WeightTensor[] {a.ffnGate(layer), b.ffnGate(layer)},
                    x -> new WeightTensor[] {a.ffnDown(layer), b.ffnDown(layer)},
                    x -> new WeightTensor[] {a.ffnUp(layer), b.ffnUp(layer)})) {
                WeightTensor[] pair = role.apply(0);
                compare(pair[0], pair[1], type, 0);
            }
            compare(a.wq(l), b.wq(l), type, permute ? c.heads() : 0);
            compare(a.wk(l), b.wk(l), type, permute ? c.kvHeads() : 0);
        }
    }

    private static void compare(WeightTensor original, WeightTensor converted, DType requested, int permuteHeads) {
        DType stored = GgufConverter.storedType(original, requested);
        assertThat(converted.type()).as(converted.name()).isEqualTo(stored);
        assertThat(converted.shape()).as(converted.name()).containsExactly(original.shape());
        float[] want = Quant.toFloats(original);
        if (permuteHeads > 0) {
            want = GgufConverter.rotateHalfToInterleaved(want, original.rows(), original.cols(), permuteHeads);
        }
        float[] got = Quant.toFloats(converted);
        switch (stored) {
            case F32 -> assertThat(java.util.Arrays.equals(got, want)).as(converted.name() + " bit-exact").isTrue();
            case F16, BF16 -> {
                // F16 keeps 11 significant bits: relative error <= 2^-11 (plus subnormal absolute error)
                int bad = -1;
                for (int i = 0; i < want.length && bad < 0; i++) {
                    if (Math.abs(got[i] - want[i]) > Math.abs(want[i]) * 0x1p-11f + 1e-7f) {
                        bad = i;
                    }
                }
                assertThat(bad).as(converted.name() + " first element outside F16 precision").isEqualTo(-1);
            }
            case Q8_0, Q4_0 -> {
                // per block: Q8_0 rounds to half a step of amax/127; Q4_0 may be off by one step of amax/8 at
                // the clamped end; both plus the f16 rounding of the scale
                float steps = stored == DType.Q8_0 ? 0.5f / 127f : 1f / 8f;
                int bad = -1;
                for (int blk = 0; blk < want.length / 32 && bad < 0; blk++) {
                    float amax = 0;
                    for (int j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(want[blk * 32 + j]));
                    float tol = amax * steps * 1.01f + amax * 0x1p-10f + 1e-8f;
                    for (int j = 0; j < 32; j++) {
                        int i = blk * 32 + j;
                        if (Math.abs(got[i] - want[i]) > tol) {
                            bad = i;
                        }
                    }
                }
                assertThat(bad).as(converted.name() + " first element outside " + stored + " precision")
                        .isEqualTo(-1);
            }
        }
    }
}

package dev.hyperattention4j.llm.quantize;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hyperattention4j.llm.format.gguf.GgufFile;
import dev.hyperattention4j.llm.format.io.MappedFile;
import dev.hyperattention4j.llm.model.DType;
import dev.hyperattention4j.llm.model.WeightTensor;
import dev.hyperattention4j.llm.runtime.Dequant;
import dev.hyperattention4j.llm.testing.SharedData;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The reference quantiser's files as an oracle for our encoders and presets: every tensor of every
 * {@code goldens/llama-kq} preset file is re-encoded from the F32 file's tensor in the same type.
 * <ul>
 *   <li>The type each tensor has in the reference file is the type {@link QuantPreset#typeOf} picks.</li>
 *   <li>Q4_0, Q4_1, Q5_0, Q5_1 and Q8_0 are deterministic round-to-nearest schemes: our bytes equal the file's.</li>
 *   <li>K-quants search for their scales, so bytes may differ; our reconstruction error (RMS against the F32
 *       weights) must be no worse than 1.1 × the reference file's error on the same tensor. A layout slip (a scale
 *       in the wrong sub-block, a swapped nibble) shows up as errors of the size of the weights themselves.</li>
 * </ul>
 */
class EncoderGoldenTest {
    private static final String CASE = "goldens/llama-kq";

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"Q2_K", "Q3_K_S", "Q3_K_M", "Q4_0", "Q4_1", "Q4_K_S", "Q4_K_M", "Q5_0", "Q5_1",
            "Q5_K_M", "Q6_K", "Q8_0"})
    void encodingsMatchTheReferenceQuantiser(String preset) throws IOException {
        Path dir = SharedData.require(CASE);
        QuantPreset p = QuantPreset.parse(preset);
        try (Arena arena = Arena.ofConfined()) {
            Map<String, WeightTensor> f32 = GgufFile.parse(dir.resolve("model-F32.gguf"),
                    MappedFile.map(dir.resolve("model-F32.gguf"), arena)).tensors();
            GgufFile ref = GgufFile.parse(dir.resolve("model-" + preset + ".gguf"),
                    MappedFile.map(dir.resolve("model-" + preset + ".gguf"), arena));
            assertThat(ref.metadata().integer("general.file_type", 0, 1000)).isEqualTo(p.fileType());
            StringBuilder report = new StringBuilder();
            for (WeightTensor r : ref.tensors().values()) {
                WeightTensor source = f32.get(r.name());
                DType type = p.typeOf(r.name(), r.shape(), 2, 2, false);
                assertThat(type).as("%s: type of %s", preset, r.name()).isEqualTo(r.type());
                if (!type.quantized()) {
                    continue;
                }
                float[] x = Dequant.all(source);
                byte[] ours = TensorEncoder.encode(x, type);
                byte[] theirs = r.data().toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
                int blocks = theirs.length / type.blockBytes();
                int sameBlocks = 0;
                for (int b = 0; b < blocks; b++) {
                    if (java.util.Arrays.equals(ours, b * type.blockBytes(), (b + 1) * type.blockBytes(), theirs,
                            b * type.blockBytes(), (b + 1) * type.blockBytes())) {
                        sameBlocks++;
                    }
                }
                double ourError = rmsError(x, ours, type);
                double refError = rmsError(x, theirs, type);
                report.append(String.format("  %-26s %-5s blocks equal %6d/%-6d rms error ours %.4e ref %.4e"
                        + " (ratio %.4f)%n", r.name(), type, sameBlocks, blocks, ourError, refError,
                        ourError / refError));
                if (type.blockSize() == 32) {
                    assertThat(sameBlocks).as("%s %s %s: byte-identical blocks", preset, r.name(), type)
                            .isEqualTo(blocks);
                } else {
                    assertThat(ourError).as("%s %s %s: RMS error against the reference's", preset, r.name(), type)
                            .isLessThanOrEqualTo(1.1 * refError);
                }
            }
            System.out.print("encoder vs reference, " + preset + ":\n" + report);
        }
    }

    private static double rmsError(float[] x, byte[] encoded, DType type) {
        float[] back = new float[x.length];
        Dequant.decode(MemorySegment.ofArray(encoded), type, 0, x.length, back, 0);
        double sum = 0;
        for (int i = 0; i < x.length; i++) {
            sum += (back[i] - (double) x[i]) * (back[i] - (double) x[i]);
        }
        return Math.sqrt(sum / x.length);
    }
}

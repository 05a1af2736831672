package dev.hyperattention4j.llm.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.hyperattention4j.llm.testing.Quant;
import dev.hyperattention4j.llm.testing.TinyModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Opening a GGUF file checks every block scale of its quantised tensors: a NaN or infinity in any scale field (d,
 * and m / dmin where the type has one) of any type fails the open with one message naming the file, the tensor,
 * the element and the value, instead of poisoning every logit later.
 */
class QuantScaleCheckTest {

    static Stream<Arguments> scaleFields() {
        Stream.Builder<Arguments> b = Stream.builder();
        for (DType type : DType.values()) {
            for (int offset : type.scaleOffsets()) {
                b.add(Arguments.of(type, offset, (short) 0x7e00, "NaN"));
                b.add(Arguments.of(type, offset, (short) 0xfc00, "-Inf"));
            }
        }
        return b.build();
    }

    @ParameterizedTest(name = "{0} field at {1}: {3}")
    @MethodSource("scaleFields")
    void aNonFiniteScaleFailsTheOpen(DType type, int fieldOffset, short bits, String name, @TempDir Path dir)
            throws Exception {
        int rows = 3, cols = 512;
        float[] values = new float[rows * cols];
        SplittableRandom r = new SplittableRandom(type.ordinal());
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) (r.nextDouble() - 0.5);
        }
        byte[] encoded = Quant.encode(values, type);
        Path clean = TinyModels.gguf(DType.F32, 3).addTensor("extra.weight", type, new long[] {rows, cols}, encoded)
                .write(dir.resolve("clean.gguf"));
        try (Model m = ModelLoader.open(clean)) {
            assertThat(m.config().dim()).isEqualTo(TinyModels.DIM);
        }
        int badBlock = cols / type.blockSize() + 1; // second block of row 1
        byte[] broken = encoded.clone();
        broken[badBlock * type.blockBytes() + fieldOffset] = (byte) bits;
        broken[badBlock * type.blockBytes() + fieldOffset + 1] = (byte) (bits >>> 8);
        Path file = TinyModels.gguf(DType.F32, 3).addTensor("extra.weight", type, new long[] {rows, cols}, broken)
                .write(dir.resolve("broken.gguf"));
        NonFiniteWeightException e = catchThrowableOfType(NonFiniteWeightException.class,
                () -> ModelLoader.open(file).close());
        assertThat(e).isNotNull();
        long element = (long) badBlock * type.blockSize();
        assertThat(e.getMessage()).contains(file.getFileName().toString()).contains("extra.weight: " + type
                + " element " + element + " (index [1, " + (element - cols) + "] of shape [3, 512]) is not finite: "
                + "the f16 scale of its block of " + type.blockSize() + " is " + name);
        assertThat(e.element()).isEqualTo(element);
        assertThat(Files.exists(file)).isTrue();
    }


    /** Chunks are checked in parallel, yet the first bad block in tensor order is the one reported. */
    @org.junit.jupiter.api.Test
    void theFirstBadBlockInTensorOrderIsReported() {
        long elements = 3 * 4 * WeightScanner.CHUNK_ELEMENTS; // three parallel chunks per tensor
        java.util.List<WeightTensor> tensors = new java.util.ArrayList<>();
        for (int i = 0; i < 3; i++) {
            byte[] b = new byte[(int) DType.Q8_0.bytesFor(elements)];
            for (int blk = 0; blk < elements / 32; blk++) {
                b[blk * 34 + 1] = 0x3c; // d = 1.0
            }
            tensors.add(new WeightTensor("t" + i, DType.Q8_0, new long[] {elements}, java.lang.foreign.MemorySegment
                    .ofArray(b)));
        }
        plantNaN(tensors.get(2), 0);
        plantNaN(tensors.get(1), elements - 32);
        plantNaN(tensors.get(1), elements / 2 + 64);
        NonFiniteWeightException e = catchThrowableOfType(NonFiniteWeightException.class,
                () -> WeightScanner.checkScales(Path.of("m.gguf"), tensors));
        assertThat(e.field()).isEqualTo("t1");
        assertThat(e.element()).isEqualTo(elements / 2 + 64);
    }

    private static void plantNaN(WeightTensor t, long element) {
        t.data().set(java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN),
                element / 32 * 34, (short) 0x7e00);
    }
}

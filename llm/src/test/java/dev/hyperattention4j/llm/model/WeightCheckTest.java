package dev.hyperattention4j.llm.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.hyperattention4j.llm.testing.Quant;
import dev.hyperattention4j.llm.testing.SharedData;
import dev.hyperattention4j.llm.testing.TestPools;
import dev.hyperattention4j.llm.testing.TinyModels;
import dev.hyperattention4j.runtime.WorkerPool;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link Model#checkWeights}: a NaN or infinity planted in the bytes of a tiny model of every format and element
 * type (for Q8_0 and Q4_0 in a block scale) gives the exact message; clean models, including the shared ones, pass;
 * the scanner's vector, chunk and tail paths find the first bad element wherever it lies.
 */
class WeightCheckTest {
    private static final String MUST_BE_FINITE =
            "; weights must be finite (a corrupt file, or one saved from a diverged run)";
    private static final WorkerPool pool = TestPools.twoThreads();

    // ------------------------------------------------------------------ planted values in real files

    static Stream<Arguments> plantedValues() {
        // format, dtype, layer tensor role, byte offset in the tensor, bytes planted, expected message tail
        return Stream.of(
                Arguments.of("gguf", DType.F32, "ffnDown", 4 * 77, le32(0x7fc0_0000),
                        "F32 element 77 (index [1, 13] of shape [32, 64]) is NaN"),
                Arguments.of("gguf", DType.F32, "ffnDown", 4 * 2047, le32(0xffc0_0001), // negative NaN, last element
                        "F32 element 2047 (index [31, 63] of shape [32, 64]) is NaN"),
                Arguments.of("gguf", DType.F16, "wq", 2 * 5, le16(0x7c00),
                        "F16 element 5 (index [0, 5] of shape [32, 32]) is +Inf"),
                Arguments.of("gguf", DType.BF16, "wk", 2 * 100, le16(0xff80),
                        "BF16 element 100 (index [3, 4] of shape [16, 32]) is -Inf"),
                Arguments.of("gguf", DType.Q8_0, "ffnUp", 34 * 9, le16(0x7e00),
                        "Q8_0 element 288 (index [9, 0] of shape [64, 32]) is not finite: the f16 scale of its "
                                + "block of 32 is NaN"),
                Arguments.of("gguf", DType.Q4_0, "ffnDown", 18 * 3, le16(0xfc00),
                        "Q4_0 element 96 (index [1, 32] of shape [32, 64]) is not finite: the f16 scale of its "
                                + "block of 32 is -Inf"),
                Arguments.of("safetensors", DType.F32, "wv", 4 * 31, le32(0x7f80_0000),
                        "F32 element 31 (index [0, 31] of shape [16, 32]) is +Inf"),
                Arguments.of("safetensors", DType.F16, "ffnGate", 2 * 1000, le16(0x7c01), // signalling NaN
                        "F16 element 1000 (index [31, 8] of shape [64, 32]) is NaN"),
                Arguments.of("safetensors", DType.BF16, "wo", 0, le16(0x7fc0),
                        "BF16 element 0 (index [0, 0] of shape [32, 32]) is NaN"),
                Arguments.of("llama2c", DType.F32, "wq", 4 * 40, le32(0xff80_0000),
                        "F32 element 40 (index [1, 8] of shape [32, 32]) is -Inf"));
    }

    @ParameterizedTest(name = "{0} {1} {2}: {5}")
    @MethodSource("plantedValues")
    void aPlantedNonFiniteValueIsReportedExactly(String format, DType type, String role, int byteOffset,
                                                 byte[] planted, String expected, @TempDir Path dir)
            throws IOException {
        Written w = write(format, type, role, dir);
        plant(w.file, w.tensorBytes, Map.of(byteOffset, planted));
        if (type.quantized()) { // block scales are checked when a GGUF file is opened
            NonFiniteWeightException e = catchThrowableOfType(NonFiniteWeightException.class,
                    () -> ModelLoader.open(w.opened).close());
            assertThat(e).as("no exception for %s", expected).isNotNull();
            assertThat(e.getMessage()).contains(w.opened.getFileName().toString())
                    .endsWith(": " + w.tensor + ": " + expected + MUST_BE_FINITE);
            assertThat(e.field()).isEqualTo(w.tensor);
            assertThat(e.type()).isEqualTo(type);
            return;
        }
        try (Model m = ModelLoader.open(w.opened)) {
            NonFiniteWeightException e = catchThrowableOfType(NonFiniteWeightException.class,
                    () -> m.checkWeights(pool));
            assertThat(e).as("no exception for %s", expected).isNotNull();
            assertThat(e.getMessage()).isEqualTo(w.opened(m) + ": " + w.tensor + ": " + expected + MUST_BE_FINITE);
            assertThat(e.field()).isEqualTo(w.tensor);
            assertThat(e.type()).isEqualTo(type);
        }
    }

    @Test
    void theFirstBadElementOfATensorIsReported(@TempDir Path dir) throws IOException {
        Written w = write("gguf", DType.F16, "ffnGate", dir);
        plant(w.file, w.tensorBytes, Map.of(2 * 1500, le16(0x7c00), 2 * 700, le16(0xfe00)));
        try (Model m = ModelLoader.open(w.opened)) {
            NonFiniteWeightException e = catchThrowableOfType(NonFiniteWeightException.class,
                    () -> m.checkWeights(pool));
            assertThat(e.element()).isEqualTo(700);
            assertThat(e.value()).isNaN();
        }
    }

    @ParameterizedTest // the tiny model's rows of 32 cannot hold the K-quants' 256-weight blocks (GgufQuantTypesTest)
    @EnumSource(value = DType.class, names = {"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1"})
    void cleanTinyGgufModelsPass(DType type, @TempDir Path dir) throws IOException {
        Path file = TinyModels.gguf(type, 3).write(dir.resolve("model.gguf"));
        try (Model m = ModelLoader.open(file)) {
            assertCleanScan(m);
        }
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "F16", "BF16"})
    void cleanTinySafetensorsModelsPass(DType type, @TempDir Path dir) throws IOException {
        try (Model m = ModelLoader.open(TinyModels.safetensors(dir, "llama", type, false, 2))) {
            assertCleanScan(m);
        }
    }

    @Test
    void cleanTinyLlama2cModelPasses(@TempDir Path dir) throws IOException {
        try (Model m = ModelLoader.open(TinyModels.llama2c(dir, false))) {
            assertCleanScan(m);
        }
    }

    @Test
    void sharedStories260kPasses() throws IOException {
        try (Model m = ModelLoader.open(SharedData.stories260k())) {
            assertCleanScan(m);
        }
    }

    @Test
    void sharedTinystories656kPasses() throws IOException {
        try (Model m = ModelLoader.open(SharedData.tinystories656k())) {
            assertCleanScan(m);
        }
    }

    @Test
    void aClosedModelCannotBeChecked(@TempDir Path dir) throws IOException {
        Model m = ModelLoader.open(TinyModels.gguf(DType.Q8_0, 3).write(dir.resolve("model.gguf")));
        m.close();
        assertThatThrownBy(() -> m.checkWeights(pool)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("is closed");
    }

    private static void assertCleanScan(Model m) throws NonFiniteWeightException {
        WeightScanner.Report r = m.checkWeights(pool);
        assertThat(r.tensors()).isEqualTo(m.tensors().size()).isPositive();
        assertThat(r.elements()).isEqualTo(m.tensors().stream().mapToLong(WeightTensor::elementCount).sum());
        assertThat(r.bytes()).isEqualTo(m.tensors().stream().mapToLong(t -> t.data().byteSize()).sum());
    }

    // ------------------------------------------------------------------ scanner paths on synthetic tensors

    /**
     * Every element type, native and heap segments, chunks of 256 elements over 2 threads: a bad value at each
     * interesting place (vector starts and ends, chunk borders, the scalar tail) is found there, a second bad
     * value later does not hide it, and the largest finite values are not flagged.
     */
    @ParameterizedTest
    @EnumSource(DType.class)
    void theScannerFindsTheFirstBadElementEverywhere(DType type) throws NonFiniteWeightException {
        // not a multiple of any vector or chunk length (K-quants: 17 blocks of 256)
        int n = type.blockSize() == 256 ? 4352 : 4160 + (type.blockSize() == 1 ? 23 : 0);
        int[] positions = {0, 1, 7, 8, 15, 16, 31, 32, 63, 64, 255, 256, 257, 1000, 4095, 4096, 4159, n - 1};
        long[] shape = {n};
        try (Arena arena = Arena.ofShared()) { // the pool's threads read it
            byte[] clean = largestFiniteValues(type, n);
            for (boolean nativeSegment : new boolean[] {true, false}) {
                MemorySegment data = nativeSegment ? arena.allocate(clean.length) : MemorySegment.ofArray(
                        new byte[clean.length]);
                MemorySegment.copy(MemorySegment.ofArray(clean), 0, data, 0, clean.length);
                WeightTensor t = new WeightTensor("t", type, shape, data);
                assertThat(WeightScanner.scan(null, List.of(t), pool, 256).elements()).isEqualTo(n);
                for (int p : positions) {
                    long expected = p / type.blockSize() * type.blockSize();
                    long later = Math.min(n - 1, expected + type.blockSize() + 300);
                    for (long bad : later > expected ? new long[] {later, expected} : new long[] {expected}) {
                        putNonFinite(data, type, bad);
                    }
                    NonFiniteWeightException e = catchThrowableOfType(NonFiniteWeightException.class,
                            () -> WeightScanner.scan(null, List.of(t), pool, 256));
                    assertThat(e).as("%s native=%s at %d", type, nativeSegment, p).isNotNull();
                    assertThat(e.element()).as("%s native=%s at %d", type, nativeSegment, p).isEqualTo(expected);
                    assertThat(Float.isFinite(e.value())).isFalse();
                    MemorySegment.copy(MemorySegment.ofArray(clean), 0, data, 0, clean.length);
                }
            }
        }
    }

    @Test
    void theFirstTensorInOrderWinsOverLaterOnes() {
        {
            WeightTensor[] ts = new WeightTensor[4];
            for (int i = 0; i < ts.length; i++) {
                ts[i] = new WeightTensor("t" + i, DType.F32, new long[] {3000},
                        MemorySegment.ofArray(largestFiniteValues(DType.F32, 3000)));
            }
            putNonFinite(ts[3].data(), DType.F32, 5);
            putNonFinite(ts[1].data(), DType.F32, 2999);
            putNonFinite(ts[2].data(), DType.F32, 0);
            for (int chunk : new int[] {32, 256, 1 << 20}) {
                NonFiniteWeightException e = catchThrowableOfType(NonFiniteWeightException.class,
                        () -> WeightScanner.scan(Path.of("m.gguf"), List.of(ts), pool, chunk));
                assertThat(e.field()).isEqualTo("t1");
                assertThat(e.element()).isEqualTo(2999);
            }
        }
        assertThatThrownBy(() -> WeightScanner.scan(null, List.of(), pool, 100))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("multiple of 32");
    }

    /** Random values in which the largest finite magnitudes of the type appear often (they must not be flagged). */
    private static byte[] largestFiniteValues(DType type, int n) {
        float[] v = new float[n];
        SplittableRandom r = new SplittableRandom(n);
        float max = switch (type) {
            case F32 -> Float.MAX_VALUE;
            case BF16 -> Float.intBitsToFloat(0x7f7f_0000);
            default -> 65504f; // f16 maximum (Q8_0/Q4_0 scales are f16)
        };
        for (int i = 0; i < n; i++) {
            v[i] = i % 5 == 0 ? (i % 2 == 0 ? max : -max) : (float) (r.nextDouble() - 0.5);
        }
        byte[] bytes = Quant.encode(v, type);
        if (type.blockSize() > 1) { // the encoder makes scales from amax/127: put the extreme f16 scales in directly
            ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
            for (int blk = 0; blk < n / type.blockSize(); blk++) {
                for (int offset : type.scaleOffsets()) {
                    b.putShort(blk * type.blockBytes() + offset, (short) (blk % 2 == 0 ? 0x7bff : 0xfbff));
                }
            }
        }
        return bytes;
    }

    private static void putNonFinite(MemorySegment data, DType type, long element) {
        ByteOrder le = ByteOrder.LITTLE_ENDIAN;
        switch (type) {
            case F32 -> data.set(java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED.withOrder(le), 4 * element,
                    element % 2 == 0 ? 0x7fc0_0000 : 0xff80_0000);
            case F16, BF16 -> data.set(java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(le), 2 * element,
                    (short) (type == DType.F16 ? 0x7c00 : 0xff81));
            default -> { // a block's d, or its minimum's scale for odd blocks of the types that have one
                int[] scales = type.scaleOffsets();
                long block = element / type.blockSize();
                data.set(java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(le),
                        block * type.blockBytes() + scales[(int) (block % scales.length)], (short) 0xfe00);
            }
        }
    }

    // ------------------------------------------------------------------ writing and patching tiny models

    /** A written tiny model: the file holding the tensor, what to open, the tensor's name and encoded bytes. */
    private record Written(Path file, Path opened, String tensor, byte[] tensorBytes) {
        String opened(Model m) { return ((LoadedModel) m).source().toString(); }
    }

    private static Written write(String format, DType type, String role, Path dir) throws IOException {
        WeightNames names = switch (format) {
            case "gguf" -> WeightNames.GGUF;
            case "safetensors" -> WeightNames.HUGGING_FACE;
            default -> WeightNames.LLAMA2C;
        };
        String pattern = switch (role) {
            case "wq" -> names.wq();
            case "wk" -> names.wk();
            case "wv" -> names.wv();
            case "wo" -> names.wo();
            case "ffnGate" -> names.ffnGate();
            case "ffnUp" -> names.ffnUp();
            default -> names.ffnDown();
        };
        String tensor = WeightNames.layer(pattern, 1);
        long[] shape = (long[]) TinyModels.tensorShapes(names, false, false).stream()
                .filter(t -> t[0].equals(tensor)).findFirst().orElseThrow()[1];
        byte[] bytes = Quant.encode(TinyModels.values(tensor, shape), type);
        return switch (format) {
            case "gguf" -> {
                Path f = TinyModels.gguf(type, 3).write(dir.resolve("model.gguf"));
                yield new Written(f, f, tensor, bytes);
            }
            case "safetensors" -> {
                Path d = TinyModels.safetensors(dir.resolve("st"), "llama", type, false, 1);
                yield new Written(d.resolve("model.safetensors"), d, tensor, bytes);
            }
            default -> {
                Path f = TinyModels.llama2c(dir.resolve("l2c"), false);
                yield new Written(f, f, tensor, bytes);
            }
        };
    }

    /**
     * Overwrites bytes of a tensor in the file, found by its encoded content (random values: unique): each key is a
     * byte offset in the tensor, its value the bytes put there.
     */
    private static void plant(Path file, byte[] tensorBytes, Map<Integer, byte[]> patches) throws IOException {
        byte[] all = Files.readAllBytes(file);
        int at = indexOf(all, tensorBytes);
        assertThat(at).as("tensor bytes in %s", file).isNotNegative();
        assertThat(indexOf(Arrays.copyOfRange(all, at + 1, all.length), tensorBytes)).isNegative();
        patches.forEach((offset, bytes) -> System.arraycopy(bytes, 0, all, at + offset, bytes.length));
        Files.write(file, all);
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    private static byte[] le32(int bits) {
        return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(bits).array();
    }

    private static byte[] le16(int bits) {
        return ByteBuffer.allocate(2).order(ByteOrder.LITTLE_ENDIAN).putShort((short) bits).array();
    }
}

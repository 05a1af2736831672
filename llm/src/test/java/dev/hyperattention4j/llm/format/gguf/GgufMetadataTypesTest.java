package dev.hyperattention4j.llm.format.gguf;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hyperattention4j.llm.testing.GgufWriter;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Every GGUF metadata value type, as a scalar and as an array (and an array of arrays), reads back as written. */
class GgufMetadataTypesTest {
    private static GgufMetadata parse(GgufWriter w) throws Exception {
        return GgufFile.parse(Path.of("types.gguf"), MemorySegment.ofArray(w.toBytes())).metadata();
    }

    @ParameterizedTest(name = "GGUF v{0}")
    @ValueSource(ints = {2, 3})
    void scalarsOfEveryType(int version) throws Exception {
        GgufMetadata md = parse(new GgufWriter(version)
                .put("u8", GgufValueType.UINT8, 250).put("i8", GgufValueType.INT8, -5)
                .put("u16", GgufValueType.UINT16, 65000).put("i16", GgufValueType.INT16, -30000)
                .put("u32", GgufValueType.UINT32, 4_000_000_000L).put("i32", GgufValueType.INT32, -2_000_000_000)
                .put("f32", GgufValueType.FLOAT32, 1.5f).put("bool", GgufValueType.BOOL, true)
                .put("str", GgufValueType.STRING, "héllo ▁wörld").put("u64", GgufValueType.UINT64, -1L)
                .put("i64", GgufValueType.INT64, -(1L << 40)).put("f64", GgufValueType.FLOAT64, Math.PI));
        assertThat(md.get("u8")).isEqualTo(250);
        assertThat(md.get("i8")).isEqualTo(-5);
        assertThat(md.get("u16")).isEqualTo(65000);
        assertThat(md.get("i16")).isEqualTo(-30000);
        assertThat(md.get("u32")).isEqualTo(4_000_000_000L);
        assertThat(md.get("i32")).isEqualTo(-2_000_000_000);
        assertThat(md.get("f32")).isEqualTo(1.5f);
        assertThat(md.get("bool")).isEqualTo(true);
        assertThat(md.string("str")).isEqualTo("héllo ▁wörld");
        assertThat(md.get("i64")).isEqualTo(-(1L << 40));
        assertThat(md.get("f64")).isEqualTo(Math.PI);
        // UINT64 max is kept as its bit pattern and shown unsigned; as a count it is rejected, not wrapped
        assertThat(GgufMetadata.describe(md.entries().get("u64"))).isEqualTo("18446744073709551615");
        assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> md.integer("u64", 0, Long.MAX_VALUE)))
                .isInstanceOf(GgufFormatException.class).hasMessageContaining("u64");
        assertThat(md.integer("u32", 0, 5_000_000_000L)).isEqualTo(4_000_000_000L);
        assertThat(md.entries().keySet()).containsExactly("u8", "i8", "u16", "i16", "u32", "i32", "f32", "bool",
                "str", "u64", "i64", "f64");
    }

    /** Array strings take a fast decoding path; an encoded U+FFFD is valid text and must survive it. */
    @Test
    void stringArraysKeepEveryCodePoint() throws Exception {
        List<Object> texts = List.of("\uFFFD", "a\uFFFDb", "\uD834\uDD1E", "Ġthe", "\u00e9\u6771", "");
        GgufMetadata md = parse(new GgufWriter().putArray("a.utf8", GgufValueType.STRING, texts));
        assertThat(md.strings("a.utf8")).containsExactlyElementsOf(texts.stream().map(String.class::cast).toList());
    }

    @Test
    void arraysOfEveryType() throws Exception {
        GgufMetadata md = parse(new GgufWriter()
                .putArray("a.u8", GgufValueType.UINT8, List.of(1, 255))
                .putArray("a.i16", GgufValueType.INT16, List.of(-1, 7))
                .putArray("a.u32", GgufValueType.UINT32, List.of(3L, 4_000_000_000L))
                .putArray("a.i64", GgufValueType.INT64, List.of(-9L))
                .putArray("a.f32", GgufValueType.FLOAT32, List.of(0.25f, -2f))
                .putArray("a.f64", GgufValueType.FLOAT64, List.of(1e300))
                .putArray("a.bool", GgufValueType.BOOL, List.of(true, false))
                .putArray("a.str", GgufValueType.STRING, List.of("a", "", "東京"))
                .putArray("a.empty", GgufValueType.INT32, List.of())
                .putArray("a.nested", GgufValueType.ARRAY, List.of(List.of(GgufValueType.INT32, List.of(1, 2)),
                        List.of(GgufValueType.STRING, List.of("x")))));
        assertThat((byte[]) md.get("a.u8")).containsExactly(1, (byte) 255);
        assertThat(md.ints("a.i16")).containsExactly(-1, 7);
        assertThat((int[]) md.get("a.u32")).containsExactly(3, (int) 4_000_000_000L);
        assertThat((long[]) md.get("a.i64")).containsExactly(-9L);
        assertThat(md.floats("a.f32")).containsExactly(0.25f, -2f);
        assertThat((double[]) md.get("a.f64")).containsExactly(1e300);
        assertThat((boolean[]) md.get("a.bool")).containsExactly(true, false);
        assertThat(md.strings("a.str")).containsExactly("a", "", "東京");
        assertThat(md.ints("a.empty")).isEmpty();
        Object[] nested = (Object[]) md.get("a.nested");
        assertThat((int[]) nested[0]).containsExactly(1, 2);
        assertThat((String[]) nested[1]).containsExactly("x");
        assertThat(md.entries().get("a.nested").elementType()).isEqualTo(GgufValueType.ARRAY);
        assertThat(GgufMetadata.describe(md.entries().get("a.str"))).isEqualTo("[STRING x 3] a, , 東京");
    }

    @Test
    void alignmentRuleIsHonoured() throws Exception {
        GgufWriter w = new GgufWriter().alignment(64);
        w.addTensor("a", dev.hyperattention4j.llm.model.DType.F32, new long[] {3}, new float[] {1, 2, 3});
        w.addTensor("b", dev.hyperattention4j.llm.model.DType.F32, new long[] {2}, new float[] {4, 5});
        GgufFile f = GgufFile.parse(Path.of("aligned.gguf"), MemorySegment.ofArray(w.toBytes()));
        assertThat(f.alignment()).isEqualTo(64);
        assertThat(f.dataStart() % 64).isZero();
        long a = f.tensors().get("a").data().address();
        long b = f.tensors().get("b").data().address();
        assertThat(b - a).isEqualTo(64); // 12 bytes of "a" padded to the alignment
        assertThat(f.tensors().get("b").data().get(dev.hyperattention4j.llm.format.io.BinaryReader.FLOAT, 4))
                .isEqualTo(5f);
    }
}

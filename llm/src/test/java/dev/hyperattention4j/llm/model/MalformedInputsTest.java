package dev.hyperattention4j.llm.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hyperattention4j.llm.format.gguf.GgufFormatException;
import dev.hyperattention4j.llm.format.gguf.GgufValueType;
import dev.hyperattention4j.llm.format.llama2c.Llama2cFormatException;
import dev.hyperattention4j.llm.format.llama2c.Llama2cLoader;
import dev.hyperattention4j.llm.format.safetensors.SafetensorsFormatException;
import dev.hyperattention4j.llm.testing.GgufWriter;
import dev.hyperattention4j.llm.testing.GgufWriter.Buf;
import dev.hyperattention4j.llm.testing.SafetensorsWriter;
import dev.hyperattention4j.llm.testing.TinyModels;
import dev.hyperattention4j.llm.tokenizer.TokenizerFormatException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Broken files, generated from valid tiny models by one targeted corruption each. Every one must fail quickly with
 * its format's exception, whose message names the file and the field (and the byte offset for binary headers);
 * never an OutOfMemoryError, a hang or an unchecked exception.
 */
class MalformedInputsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path tmp;

    /** Makes the broken input inside a fresh directory and returns the path to open. */
    @FunctionalInterface
    interface Maker {
        Path make(Path dir) throws Exception;
    }

    record Case(String name, Class<? extends ModelFormatException> type, String expected, boolean offset,
                boolean llama2cDirect, Maker maker) {
        @Override
        public String toString() { return name; }
    }

    private static Case gguf(String name, String expected, boolean offset, Maker m) {
        return new Case(name, GgufFormatException.class, expected, offset, false, m);
    }

    private static Case st(String name, String expected, Maker m) {
        return new Case(name, SafetensorsFormatException.class, expected, false, false, m);
    }

    private static Case tok(String name, String expected, Maker m) {
        return new Case(name, TokenizerFormatException.class, expected, false, false, m);
    }

    private static Case l2c(String name, String expected, boolean offset, Maker m) {
        return new Case(name, Llama2cFormatException.class, expected, offset, true, m);
    }

    static byte[] validGguf() { return TinyModels.gguf(dev.hyperattention4j.llm.model.DType.F32, 3).toBytes(); }

    static Path patched(Path dir, byte[] bytes, int at, long value, int width) throws Exception {
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        if (width == 4) {
            b.putInt(at, (int) value);
        } else {
            b.putLong(at, value);
        }
        return Files.write(dir.resolve("bad.gguf"), bytes);
    }

    static Path write(Path dir, GgufWriter w) throws Exception { return w.write(dir.resolve("bad.gguf")); }

    static byte[] tensorInfo(String name, int type, long offset, long... neInnermostFirst) {
        Buf b = new Buf().string(name).i32(neInnermostFirst.length);
        for (long d : neInnermostFirst) {
            b.i64(d);
        }
        return b.i32(type).i64(offset).bytes();
    }

    static Path tinySt(Path dir) throws Exception {
        return TinyModels.safetensors(dir.resolve("m"), "llama", dev.hyperattention4j.llm.model.DType.F32, false, 1);
    }

    static Path stWithHeader(Path dir, java.util.function.Consumer<ObjectNode> edit) throws Exception {
        Path m = tinySt(dir);
        SafetensorsWriter w = new SafetensorsWriter();
        w.add("model.norm.weight", dev.hyperattention4j.llm.model.DType.F32, new long[] {32}, new float[32]);
        ObjectNode h = w.header();
        edit.accept(h);
        return w.write(m.resolve("model.safetensors"), h);
    }

    static Path editConfig(Path dir, java.util.function.Consumer<ObjectNode> edit) throws Exception {
        Path m = tinySt(dir);
        ObjectNode c = (ObjectNode) JSON.readTree(m.resolve("config.json").toFile());
        edit.accept(c);
        JSON.writeValue(m.resolve("config.json").toFile(), c);
        return m;
    }

    static Path llama2cHeader(Path dir, int index, int value) throws Exception {
        Path bin = TinyModels.llama2c(dir, true);
        byte[] bytes = Files.readAllBytes(bin);
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putInt(4 * index, value);
        return Files.write(bin, bytes);
    }

    static Stream<Case> cases() {
        return Stream.of(
                // ---------------------------------------------------------------- GGUF header
                gguf("gguf version 1", "GGUF v1", true, d -> patched(d, validGguf(), 4, 1, 4)),
                gguf("gguf unknown version", "unknown version 99", true, d -> patched(d, validGguf(), 4, 99, 4)),
                gguf("gguf big-endian", "big-endian", true, d -> patched(d, validGguf(), 4, 3L << 24, 4)),
                gguf("gguf truncated header", "metadata_kv_count", true,
                        d -> Files.write(d.resolve("bad.gguf"), Arrays.copyOf(validGguf(), 20))),
                gguf("gguf 2^40 tensors", "tensor_count", true, d -> patched(d, validGguf(), 8, 1L << 40, 8)),
                gguf("gguf negative kv count", "metadata_kv_count", true, d -> patched(d, validGguf(), 16, -1, 8)),
                gguf("gguf 2^60-byte key", "metadata key #0", true, d -> patched(d, validGguf(), 24, 1L << 60, 8)),
                gguf("gguf unknown value type", "unknown metadata value type 99", true,
                        d -> patched(d, validGguf(), 24 + 8 + "general.architecture".length(), 99, 4)),
                gguf("gguf 2^50-element array", "array length", true, d -> write(d, TinyModels.gguf(
                        dev.hyperattention4j.llm.model.DType.F32, 3).rawMetadata(new Buf().string("x.arr")
                        .i32(GgufValueType.ARRAY.id()).i32(GgufValueType.UINT32.id()).i64(1L << 50).bytes()))),
                gguf("gguf arrays nested too deep", "nested deeper", true, d -> {
                    List<Object> inner = List.of(GgufValueType.UINT8, List.of(1));
                    for (int i = 0; i < 5; i++) {
                        inner = List.of(GgufValueType.ARRAY, List.of(inner));
                    }
                    return write(d, new GgufWriter().putArray("deep", GgufValueType.ARRAY, List.of(inner)));
                }),
                gguf("gguf bool of 7", "neither 0 nor 1", true, d -> write(d, new GgufWriter()
                        .rawMetadata(new Buf().string("flag").i32(GgufValueType.BOOL.id()).u8(7).bytes()))),
                gguf("gguf invalid UTF-8 key", "not valid UTF-8", true, d -> write(d, new GgufWriter()
                        .rawMetadata(new Buf().i64(2).raw(new byte[] {(byte) 0xC3, 0x28})
                                .i32(GgufValueType.UINT8.id()).u8(1).bytes()))),
                gguf("gguf invalid UTF-8 in a string array", "x.strs[1]: is not valid UTF-8", true,
                        d -> write(d, new GgufWriter().rawMetadata(new Buf().string("x.strs")
                                .i32(GgufValueType.ARRAY.id()).i32(GgufValueType.STRING.id()).i64(2).string("ok")
                                .i64(2).raw(new byte[] {(byte) 0xC3, 0x28}).bytes()))),
                gguf("gguf surrogate encoded in a string array", "x.strs[0]: is not valid UTF-8", true,
                        d -> write(d, new GgufWriter().rawMetadata(new Buf().string("x.strs")
                                .i32(GgufValueType.ARRAY.id()).i32(GgufValueType.STRING.id()).i64(1)
                                .i64(3).raw(new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80}).bytes()))),
                gguf("gguf string array element past the end", "x.strs[1]: string length 1099511627776 exceeds", true,
                        d -> write(d, new GgufWriter().rawMetadata(new Buf().string("x.strs")
                                .i32(GgufValueType.ARRAY.id()).i32(GgufValueType.STRING.id()).i64(2).string("ok")
                                .i64(1L << 40).bytes()))),
                gguf("gguf duplicate key", "duplicate metadata key", true, d -> write(d, TinyModels.gguf(
                        dev.hyperattention4j.llm.model.DType.F32, 3).rawMetadata(new Buf().string("llama.block_count")
                        .i32(GgufValueType.UINT32.id()).i32(2).bytes()))),
                gguf("gguf alignment 48", "general.alignment", false, d -> write(d, new GgufWriter()
                        .putUInt32("general.alignment", 48))),
                // ---------------------------------------------------------------- GGUF tensors
                gguf("gguf unknown tensor type", "q99: unsupported or unknown ggml tensor type 99", true,
                        d -> write(d, TinyModels.gguf(dev.hyperattention4j.llm.model.DType.F32, 3)
                                .rawTensorInfo(tensorInfo("q99", 99, 0, 256, 1)))),
                gguf("gguf IQ2_XXS tensor", "iq2: unsupported or unknown ggml tensor type 16", true,
                        d -> write(d, TinyModels.gguf(dev.hyperattention4j.llm.model.DType.F32, 3)
                                .rawTensorInfo(tensorInfo("iq2", 16, 0, 256, 1)))),
                gguf("gguf Q4_K row of 128", "q4k: row length 128 is not a multiple of the Q4_K block size 256",
                        true, d -> write(d, TinyModels.gguf(dev.hyperattention4j.llm.model.DType.F32, 3)
                                .rawTensorInfo(tensorInfo("q4k", 12, 0, 128, 2)))),
                gguf("gguf Q6_K row of 32", "q6k: row length 32 is not a multiple of the Q6_K block size 256",
                        true, d -> write(d, TinyModels.gguf(dev.hyperattention4j.llm.model.DType.F32, 3)
                                .rawTensorInfo(tensorInfo("q6k", 14, 0, 32, 8)))),
                gguf("gguf byte length disagrees with shape", "overlaps", true, d -> write(d,
                        ggufWithTwoTensors(dev.hyperattention4j.llm.model.DType.Q5_K, 256, 32))),
                gguf("gguf aliased tensor data", "alias: data [0, +8192) overlaps", true, d -> write(d,
                        TinyModels.gguf(dev.hyperattention4j.llm.model.DType.F32, 3)
                                .rawTensorInfo(tensorInfo("alias", 0, 0, 64, 32)))),
                gguf("gguf zero dims", "n_dims 0", true, d -> write(d, TinyModels.gguf(
                        dev.hyperattention4j.llm.model.DType.F32, 3).rawTensorInfo(tensorInfo("z", 0, 0)))),
                gguf("gguf negative dimension", "not a sane size", true, d -> write(d, TinyModels.gguf(
                        dev.hyperattention4j.llm.model.DType.F32, 3).rawTensorInfo(tensorInfo("neg", 0, 0, -5)))),
                gguf("gguf misaligned offset", "multiple of the alignment", true, d -> write(d, TinyModels.gguf(
                        dev.hyperattention4j.llm.model.DType.F32, 3).rawTensorInfo(tensorInfo("mis", 0, 3, 4)))),
                gguf("gguf offset past the end", "past the end of the file", true, d -> write(d, TinyModels.gguf(
                        dev.hyperattention4j.llm.model.DType.F32, 3).rawTensorInfo(tensorInfo("far", 0, 1L << 40,
                        8)))),
                gguf("gguf Q8_0 row of 20", "block size 32", true, d -> write(d, TinyModels.gguf(
                        dev.hyperattention4j.llm.model.DType.F32, 3).rawTensorInfo(tensorInfo("q8", 8, 0, 20, 2)))),
                gguf("gguf truncated data", "past the end of the file", true, d -> {
                    byte[] b = validGguf();
                    return Files.write(d.resolve("bad.gguf"), Arrays.copyOf(b, b.length - 100));
                }),
                // ---------------------------------------------------------------- GGUF model semantics
                gguf("gguf inconsistent head counts", "head_count_kv", false, d -> write(d, ggufWith(
                        "llama.attention.head_count_kv", 3))),
                gguf("gguf wrong q shape", "blk.0.attn_q.weight: has shape [32, 32] but", false, d -> write(d,
                        TinyModels.gguf(dev.hyperattention4j.llm.model.DType.F32, 3)
                                .putUInt32("llama.attention.key_length", 4))),
                gguf("gguf unsupported architecture", "general.architecture", false, d -> write(d,
                        ggufWithArch())),
                tok("gguf without tokenizer", "tokenizer.ggml.model", d -> write(d, ggufWithoutTokenizer())),
                // ---------------------------------------------------------------- safetensors
                st("safetensors header longer than file", "header length", d -> {
                    Path m = tinySt(d);
                    byte[] b = Files.readAllBytes(m.resolve("model.safetensors"));
                    ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(0, b.length * 2L);
                    Files.write(m.resolve("model.safetensors"), b);
                    return m;
                }),
                st("safetensors header not JSON", "not valid JSON", d -> {
                    Path m = tinySt(d);
                    byte[] body = "{\"a\": [1, 2".getBytes();
                    ByteBuffer b = ByteBuffer.allocate(8 + body.length).order(ByteOrder.LITTLE_ENDIAN);
                    b.putLong(body.length).put(body);
                    Files.write(m.resolve("model.safetensors"), b.array());
                    return m;
                }),
                st("safetensors offsets past end", "data_offsets", d -> stWithHeader(d, h ->
                        ((ObjectNode) h.get("model.norm.weight")).putArray("data_offsets").add(0).add(1 << 30))),
                st("safetensors unknown dtype", "unsupported or unknown dtype 'I64'", d -> stWithHeader(d, h ->
                        ((ObjectNode) h.get("model.norm.weight")).put("dtype", "I64"))),
                st("safetensors shape/size mismatch", "needs", d -> stWithHeader(d, h ->
                        ((ObjectNode) h.get("model.norm.weight")).putArray("shape").add(33))),
                st("safetensors negative shape", "invalid size", d -> stWithHeader(d, h ->
                        ((ObjectNode) h.get("model.norm.weight")).putArray("shape").add(-32))),
                st("safetensors missing config.json", "config.json", d -> {
                    Path m = tinySt(d);
                    Files.delete(m.resolve("config.json"));
                    return m;
                }),
                st("config kv heads not dividing heads", "kvHeads", d -> editConfig(d, c ->
                        c.put("num_key_value_heads", 3))),
                st("config dim is a string", "hidden_size", d -> editConfig(d, c -> c.put("hidden_size", "big"))),
                st("config unsupported model_type", "model_type", d -> editConfig(d, c ->
                        c.put("model_type", "gpt_neox"))),
                st("index names a missing shard", "does not exist", d -> {
                    Path m = TinyModels.safetensors(d.resolve("m"), "llama", dev.hyperattention4j.llm.model.DType.F32,
                            true, 2);
                    Files.delete(m.resolve("model-00002-of-00002.safetensors"));
                    return m;
                }),
                tok("safetensors missing tokenizer.json", "tokenizer.json", d -> {
                    Path m = tinySt(d);
                    Files.delete(m.resolve("tokenizer.json"));
                    return m;
                }),
                tok("tokenizer.json WordPiece", "model.type", d -> {
                    Path m = tinySt(d);
                    ObjectNode t = TinyModels.tokenizerJson();
                    ((ObjectNode) t.get("model")).put("type", "WordPiece");
                    JSON.writeValue(m.resolve("tokenizer.json").toFile(), t);
                    return m;
                }),
                tok("tokenizer.json merge of unknown tokens", "merges[1]", d -> {
                    Path m = tinySt(d);
                    ObjectNode t = TinyModels.tokenizerJson();
                    ((com.fasterxml.jackson.databind.node.ArrayNode) t.get("model").get("merges")).add("x y");
                    JSON.writeValue(m.resolve("tokenizer.json").toFile(), t);
                    return m;
                }),
                // ---------------------------------------------------------------- llama2.c
                l2c("llama2c truncated", "file size", true, d -> {
                    Path bin = TinyModels.llama2c(d, false);
                    byte[] b = Files.readAllBytes(bin);
                    return Files.write(bin, Arrays.copyOf(b, b.length - 4));
                }),
                new Case("llama2c truncated, detected by content", Llama2cFormatException.class,
                        "the llama2.c header (dim 32, layers 2, vocab 262) implies", true, false, d -> {
                    Path bin = TinyModels.llama2c(d, true);
                    byte[] b = Files.readAllBytes(bin);
                    return Files.write(bin, Arrays.copyOf(b, b.length / 2));
                }),
                new Case("llama2c export version 2", Llama2cFormatException.class, "export version 2", true, false,
                        d -> {
                    Path bin = TinyModels.llama2c(d, true, 1);
                    byte[] b = Files.readAllBytes(bin);
                    ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putInt(4, 2);
                    return Files.write(bin, b);
                }),
                new Case("llama2c version 1 truncated", Llama2cFormatException.class, "version-1 header implies",
                        true, false, d -> {
                    Path bin = TinyModels.llama2c(d, false, 1);
                    byte[] b = Files.readAllBytes(bin);
                    return Files.write(bin, Arrays.copyOf(b, b.length - 1000));
                }),
                l2c("llama2c negative dim", "dim", true, d -> llama2cHeader(d, 0, -32)),
                l2c("llama2c 2^30 layers", "n_layers", true, d -> llama2cHeader(d, 2, 1 << 30)),
                l2c("llama2c heads not dividing dim", "n_heads", true, d -> llama2cHeader(d, 3, 5)),
                l2c("llama2c kv heads not dividing heads", "n_kv_heads", true, d -> llama2cHeader(d, 4, 3)),
                new Case("llama2c missing tokenizer", TokenizerFormatException.class, "no tokenizer.bin", false,
                        true, d -> {
                    Path bin = TinyModels.llama2c(d, true);
                    Files.delete(d.resolve("tokenizer.bin"));
                    return bin;
                }),
                new Case("llama2c tokenizer too short", TokenizerFormatException.class, "does not fit", true, true,
                        d -> {
                    Path bin = TinyModels.llama2c(d, true);
                    Files.write(d.resolve("tokenizer.bin"), TinyModels.llama2cTokenizer(100));
                    return bin;
                }),
                new Case("llama2c token length negative", TokenizerFormatException.class, "token[0].length", true,
                        true, d -> {
                    Path bin = TinyModels.llama2c(d, true);
                    byte[] b = TinyModels.llama2cTokenizer(TinyModels.VOCAB);
                    ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putInt(8, -7);
                    Files.write(d.resolve("tokenizer.bin"), b);
                    return bin;
                }),
                // ---------------------------------------------------------------- no format at all
                new Case("empty file", ModelFormatException.class, "format", true, false,
                        d -> Files.write(d.resolve("empty.bin"), new byte[0])),
                new Case("random bytes", ModelFormatException.class, "not a GGUF, safetensors or llama2.c", true,
                        false, d -> {
                    byte[] b = new byte[4096];
                    new java.util.Random(7).nextBytes(b);
                    return Files.write(d.resolve("noise.bin"), b);
                }));
    }

    private static GgufWriter ggufWith(String key, int value) {
        GgufWriter w = new GgufWriter();
        w.putString("general.architecture", "llama").putUInt32("llama.embedding_length", TinyModels.DIM)
                .putUInt32("llama.block_count", 1).putUInt32("llama.feed_forward_length", TinyModels.HIDDEN)
                .putUInt32("llama.attention.head_count", TinyModels.HEADS).putUInt32(key, value);
        TinyModels.ggufTokenizer(w);
        w.addTensor("token_embd.weight", dev.hyperattention4j.llm.model.DType.F32,
                new long[] {TinyModels.VOCAB, TinyModels.DIM}, new float[TinyModels.VOCAB * TinyModels.DIM]);
        return w;
    }

    /**
     * A valid tiny model plus two tensors of {@code type} whose data lies back to back, the first one's shape
     * claiming {@code rows} rows although only {@code rowsStored} were written before the second begins: the block
     * count implied by the shape disagrees with the bytes the layout gives the tensor.
     */
    private static GgufWriter ggufWithTwoTensors(dev.hyperattention4j.llm.model.DType type, int rows,
                                                 int rowsStored) {
        GgufWriter w = TinyModels.gguf(dev.hyperattention4j.llm.model.DType.F32, 3);
        byte[] stored = dev.hyperattention4j.llm.testing.Quant.encode(new float[rowsStored * 256], type);
        w.addTensor("first", type, new long[] {rowsStored, 256}, stored);
        w.addTensor("second", type, new long[] {rowsStored, 256}, stored);
        return w.reshape("first", new long[] {rows, 256});
    }

    private static GgufWriter ggufWithArch() {
        GgufWriter w = new GgufWriter().putString("general.architecture", "falcon");
        TinyModels.ggufTokenizer(w);
        return w;
    }

    private static GgufWriter ggufWithoutTokenizer() {
        GgufWriter w = new GgufWriter();
        w.putString("general.architecture", "llama").putUInt32("llama.embedding_length", TinyModels.DIM)
                .putUInt32("llama.attention.head_count", TinyModels.HEADS);
        w.addTensor("token_embd.weight", dev.hyperattention4j.llm.model.DType.F32,
                new long[] {TinyModels.VOCAB, TinyModels.DIM}, new float[TinyModels.VOCAB * TinyModels.DIM]);
        return w;
    }

    private static int counter;

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void failsWithAClearFormatError(Case c) throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("case" + counter++));
        Path input = c.maker().make(dir);
        Throwable thrown = Assertions.assertTimeoutPreemptively(Duration.ofSeconds(20), () -> catchThrowable(() -> {
            try (Model m = c.llama2cDirect() ? Llama2cLoader.open(input, null) : ModelLoader.open(input)) {
                m.config();
            }
        }));
        assertThat(thrown).as(c.name()).isInstanceOf(c.type());
        String message = thrown.getMessage();
        assertThat(message).as(c.name()).contains(c.expected());
        // the message names the offending file (the input, or the file inside the input directory)
        assertThat(message).as(c.name()).contains(dir.toString());
        if (c.offset()) {
            assertThat(message).as(c.name()).containsPattern("at byte offset \\d+");
            assertThat(((ModelFormatException) thrown).offset()).isGreaterThanOrEqualTo(0);
        }
    }
}

package dev.hyperattention4j.llm.hardening;

import static dev.hyperattention4j.llm.hardening.TinyModelFiles.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hyperattention4j.llm.format.gguf.GgufFormatException;
import dev.hyperattention4j.llm.format.gguf.GgufValueType;
import dev.hyperattention4j.llm.format.llama2c.Llama2cFormatException;
import dev.hyperattention4j.llm.format.llama2c.Llama2cLoader;
import dev.hyperattention4j.llm.format.safetensors.SafetensorsFormatException;
import dev.hyperattention4j.llm.format.safetensors.SafetensorsLoader;
import dev.hyperattention4j.llm.model.DType;
import dev.hyperattention4j.llm.model.Model;
import dev.hyperattention4j.llm.model.ModelFormatException;
import dev.hyperattention4j.llm.model.ModelLoader;
import dev.hyperattention4j.llm.testing.GgufWriter;
import dev.hyperattention4j.llm.testing.TinyModels;
import dev.hyperattention4j.llm.tokenizer.TokenizerFormatException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Table-driven malformed model files (issue #9): every case starts from a valid tiny model of one format, breaks one
 * thing, opens it the way a user would, and checks the exact exception type (one per format), the offending file,
 * the field, the problem text and, for binary formats, the byte offset. docs/RELIABILITY.md lists the table.
 */
class MalformedModelFilesTest {

    /** How the case is opened: the public entry point, or a format's loader directly (bypassing detection). */
    enum Entry { OPEN, SAFETENSORS, LLAMA2C }

    /**
     * @param setup   writes the files into a fresh directory and returns the path to open
     * @param file    file name the exception must name
     * @param offset  expected byte offset, or null when not checked (-1 means "no offset")
     */
    record Case(String name, Function<Path, Path> setup, Entry entry, Class<? extends ModelFormatException> type,
                String file, String field, String problem, Long offset) {
        @Override
        public String toString() { return name; }
    }

    private static final Class<SafetensorsFormatException> ST = SafetensorsFormatException.class;
    private static final Class<Llama2cFormatException> L2C = Llama2cFormatException.class;
    private static final Class<TokenizerFormatException> TOK = TokenizerFormatException.class;
    private static final Class<GgufFormatException> GG = GgufFormatException.class;
    private static final Class<ModelFormatException> ANY = ModelFormatException.class;
    private static final String EMB = "model.embed_tokens.weight";
    private static final String WQ = "model.layers.0.self_attn.q_proj.weight";

    // ------------------------------------------------------------------ builders for the table

    private static Function<Path, Path> hf(byte[] weights, String config, String tokenizer) {
        return dir -> writeHfDir(dir, weights, config, tokenizer);
    }

    /** A safetensors header edited by {@code edit}, with data sized for the original header. */
    private static Function<Path, Path> header(Consumer<ObjectNode> edit) {
        ObjectNode h = safetensorsHeader(hfShapes());
        long data = dataBytes(h);
        edit.accept(h);
        return hf(safetensors(h.toString().getBytes(StandardCharsets.UTF_8), data), configJson().toString(),
                tokenizerJson().toString());
    }

    private static Function<Path, Path> rawHeader(String json) {
        return hf(safetensors(json.getBytes(StandardCharsets.UTF_8), 0), configJson().toString(),
                tokenizerJson().toString());
    }

    private static Function<Path, Path> weights(byte[] bytes) {
        return hf(bytes, configJson().toString(), tokenizerJson().toString());
    }

    private static Function<Path, Path> shapes(Consumer<Map<String, long[]>> edit) {
        Map<String, long[]> s = hfShapes();
        edit.accept(s);
        return weights(safetensors(safetensorsHeader(s)));
    }

    private static Function<Path, Path> config(Consumer<ObjectNode> edit) {
        ObjectNode c = configJson();
        edit.accept(c);
        return hf(safetensors(), c.toString(), tokenizerJson().toString());
    }

    private static Function<Path, Path> configText(String text) {
        return hf(safetensors(), text, tokenizerJson().toString());
    }

    private static Function<Path, Path> tokenizer(Consumer<ObjectNode> edit) {
        ObjectNode t = tokenizerJson();
        edit.accept(t);
        return hf(safetensors(), configJson().toString(), t.toString());
    }

    private static Function<Path, Path> tokenizerText(String text) {
        return hf(safetensors(), configJson().toString(), text);
    }

    private static ObjectNode model(ObjectNode tokenizer) {
        return (ObjectNode) tokenizer.get("model");
    }

    private static Function<Path, Path> llama2c(int[] header, long floats) {
        return dir -> writeLlama2c(dir, TinyModelFiles.llama2c(header, floats), tokenizerBin());
    }

    /** A header edited at index {@code field}, with exactly the size that header implies when it is plausible. */
    private static Function<Path, Path> llama2cField(int field, int value) {
        int[] h = llama2cHeader();
        h[field] = value;
        long floats = llama2cFloats(llama2cHeader());
        return llama2c(h, floats);
    }

    private static Function<Path, Path> llama2cBytes(byte[] checkpoint) {
        return dir -> writeLlama2c(dir, checkpoint, tokenizerBin());
    }

    private static Function<Path, Path> tokenizerBinBytes(byte[] tokenizer) {
        return dir -> writeLlama2c(dir, TinyModelFiles.llama2c(), tokenizer);
    }

    private static Function<Path, Path> vocab(Consumer<TokenEntry[]> edit) {
        TokenEntry[] v = llama2cVocab();
        edit.accept(v);
        return tokenizerBinBytes(tokenizerBin(8, v));
    }

    /** The llm tests' tiny F32 GGUF model, edited by {@code edit}. */
    private static Function<Path, Path> gguf(Consumer<GgufWriter> edit) {
        GgufWriter w = TinyModels.gguf(DType.F32, 3);
        edit.accept(w);
        return ggufBytes(w.toBytes());
    }

    private static Function<Path, Path> ggufBytes(byte[] bytes) {
        return dir -> {
            write(dir.resolve("model.gguf"), bytes);
            return dir.resolve("model.gguf");
        };
    }

    private static byte[] ggufKv(String key, GgufValueType type, java.util.function.UnaryOperator<GgufWriter.Buf> v) {
        return v.apply(new GgufWriter.Buf().string(key).i32(type.id())).bytes();
    }

    private static byte[] withLong(byte[] bytes, int at, long value) {
        byte[] copy = bytes.clone();
        ByteBuffer.wrap(copy).order(ByteOrder.LITTLE_ENDIAN).putLong(at, value);
        return copy;
    }

    private static byte[] withInt(byte[] bytes, int at, int value) {
        byte[] copy = bytes.clone();
        ByteBuffer.wrap(copy).order(ByteOrder.LITTLE_ENDIAN).putInt(at, value);
        return copy;
    }

    private static byte[] cut(byte[] bytes, int drop) {
        return Arrays.copyOf(bytes, bytes.length - drop);
    }

    private static byte[] append(byte[] bytes, int extra) {
        return Arrays.copyOf(bytes, bytes.length + extra);
    }

    private static String nested(int depth) {
        return "{\"a\":" + "[".repeat(depth) + "]".repeat(depth) + "}";
    }

    /** Byte offset of token {@code id}'s length field in the tiny tokenizer.bin. */
    private static int tokenLengthOffset(int id) {
        int at = 4;
        TokenEntry[] v = llama2cVocab();
        for (int i = 0; i < id; i++) {
            at += 8 + v[i].bytes().length;
        }
        return at + 4;
    }

    private static Case c(String name, Function<Path, Path> setup, Entry entry, Class<? extends ModelFormatException> t,
                          String file, String field, String problem, Long offset) {
        return new Case(name, setup, entry, t, file, field, problem, offset);
    }

    static Stream<Case> cases() {
        String ms = "model.safetensors", cj = "config.json", tj = "tokenizer.json", mb = "model.bin";
        String tb = "tokenizer.bin";
        Entry o = Entry.OPEN, s = Entry.SAFETENSORS, l = Entry.LLAMA2C;
        byte[] goodSt = safetensors();
        byte[] goodL2c = TinyModelFiles.llama2c();
        byte[] goodTok = tokenizerBin();
        List<Case> t = new ArrayList<>();
        // ---- detection (ModelLoader.open)
        t.add(c("empty model.safetensors", weights(new byte[0]), o, ANY, ms, "format", "is not a GGUF, safetensors or llama2.c model", 0L));
        t.add(c("5 random bytes", weights(new byte[] {1, 2, 3, 4, 5}), o, ANY, ms, "format", "unrecognised first bytes", 0L));
        t.add(c("safetensors header length past the end", weights(withInt(goodSt, 0, 1 << 30)), o, ANY, ms, "format", "is not a GGUF", 0L));
        t.add(c("llama2.c checkpoint 4 bytes short", llama2cBytes(cut(goodL2c, 4)), o, L2C, mb, "file size", "but the llama2.c header (dim 8, layers 1, vocab 265) implies " + goodL2c.length, (long) goodL2c.length - 4));
        t.add(c("directory without a model", dir -> dir, o, ANY, null, "directory", "holds no model.safetensors", -1L));
        t.add(c("directory with two .gguf files", dir -> {
            write(dir.resolve("a.gguf"), new byte[4]);
            write(dir.resolve("b.gguf"), new byte[4]);
            return dir;
        }, o, ANY, null, "directory", "single .gguf", -1L));
        // ---- safetensors container
        t.add(c("safetensors header length 0", weights(withInt(goodSt, 0, 0)), s, ST, ms, "header length", "invalid value 0", 0L));
        t.add(c("safetensors header length above the 100 MB cap", weights(append(withInt(goodSt, 0, 200_000_000), 0)), s, ST, ms, "header length", "invalid value 200000000", 0L));
        t.add(c("safetensors file of 3 bytes", weights(new byte[3]), s, ST, ms, "header length", "needs 8 bytes but only 3 remain", 0L));
        t.add(c("safetensors header is not JSON", rawHeader("{not json"), o, ST, ms, "header", "is not valid JSON", 8L));
        t.add(c("safetensors header is a JSON array", rawHeader("[1, 2]"), s, ST, ms, "header", "is not a JSON object", 8L));
        t.add(c("safetensors header nested 100000 deep", rawHeader(nested(100_000)), o, ST, ms, "header", "is not valid JSON", 8L));
        t.add(c("safetensors header truncated mid-string", rawHeader("{\"model.norm.weight\": {\"dtype\": \"F3"), o, ST, ms, "header", "is not valid JSON", 8L));
        t.add(c("safetensors header with trailing garbage", rawHeader("{\"__metadata__\": {}}, \"x\": 1"), o, ST, ms, "header", "is not valid JSON", 8L));
        t.add(c("blank tensor name", rawHeader("{\" \": [16, 20]}"), o, ST, ms, "header", "has a tensor with a blank name", 8L));
        t.add(c("tensor entry is a number", header(h -> h.put(EMB, 5)), o, ST, ms, EMB, "tensor entry is not an object", 8L));
        t.add(c("unknown dtype", header(h -> ((ObjectNode) h.get(EMB)).put("dtype", "Q7")), o, ST, ms, EMB + ".dtype", "unsupported or unknown dtype 'Q7'", 8L));
        t.add(c("missing dtype", header(h -> ((ObjectNode) h.get(EMB)).remove("dtype")), o, ST, ms, EMB + ".dtype", "unknown dtype ''", 8L));
        t.add(c("shape is a string", header(h -> ((ObjectNode) h.get(EMB)).put("shape", "265x8")), o, ST, ms, EMB + ".shape", "must be an array of at most 8 sizes", 8L));
        t.add(c("shape with 9 dimensions", header(h -> {
            var a = ((ObjectNode) h.get(EMB)).putArray("shape");
            for (int i = 0; i < 9; i++) {
                a.add(1);
            }
        }), o, ST, ms, EMB + ".shape", "at most 8 sizes", 8L));
        t.add(c("negative shape size", header(h -> ((ObjectNode) h.get(EMB)).putArray("shape").add(-265).add(8)), o, ST, ms, EMB + ".shape", "has an invalid size -265", 8L));
        t.add(c("fractional shape size", header(h -> ((ObjectNode) h.get(EMB)).putArray("shape").add(2.5).add(8)), o, ST, ms, EMB + ".shape", "has an invalid size 2.5", 8L));
        t.add(c("shape size 1e400", rawHeader("{\"x\": {\"dtype\": \"F32\", \"shape\": [1e400], \"data_offsets\": [0, 0]}}"), o, ST, ms, "x.shape", "has an invalid size", 8L));
        t.add(c("shape element count overflows", header(h -> ((ObjectNode) h.get(EMB)).putArray("shape").add(1L << 40).add(1L << 40)), o, ST, ms, EMB + ".shape", "element count overflows", 8L));
        t.add(c("huge shape with small data", header(h -> ((ObjectNode) h.get(EMB)).putArray("shape").add(1L << 31).add(1L << 31)), o, ST, ms, EMB, "holds 8480 bytes but shape [2147483648, 2147483648]", null));
        t.add(c("data_offsets missing", header(h -> ((ObjectNode) h.get(EMB)).remove("data_offsets")), o, ST, ms, EMB + ".data_offsets", "must be two integers", 8L));
        t.add(c("data_offsets with three entries", header(h -> ((ObjectNode) h.get(EMB)).putArray("data_offsets").add(0).add(4).add(8)), o, ST, ms, EMB + ".data_offsets", "must be two integers", 8L));
        t.add(c("data_offsets past the end", header(h -> ((ObjectNode) h.get("model.norm.weight")).putArray("data_offsets").add(0).add(1L << 40)), o, ST, ms, "model.norm.weight.data_offsets", "lies outside the", 8L));
        t.add(c("data_offsets begin after end", header(h -> ((ObjectNode) h.get(EMB)).putArray("data_offsets").add(64).add(32)), o, ST, ms, EMB + ".data_offsets", "[64, 32] lies outside", 8L));
        t.add(c("data_offsets negative", header(h -> ((ObjectNode) h.get(EMB)).putArray("data_offsets").add(-8).add(0)), o, ST, ms, EMB + ".data_offsets", "[-8, 0] lies outside", 8L));
        t.add(c("byte length disagrees with shape", header(h -> ((ObjectNode) h.get(EMB)).putArray("shape").add(VOCAB).add(4)), o, ST, ms, EMB, "holds 8480 bytes but shape [265, 4] of F32 needs 4240", null));
        t.add(c("truncated data section", weights(cut(goodSt, 16)), o, ST, ms, "model.norm.weight.data_offsets", "lies outside the", 8L));
        // ---- tensors against config.json
        t.add(c("missing final norm tensor", shapes(m -> m.remove("model.norm.weight")), o, ST, ms, "model.norm.weight", "required tensor is missing", -1L));
        t.add(c("missing embedding (tied)", shapes(m -> m.remove(EMB)), o, ST, ms, EMB, "required tensor is missing", -1L));
        t.add(c("transposed k_proj", shapes(m -> m.put("model.layers.0.self_attn.k_proj.weight", new long[] {DIM, KV_DIM})), o, ST, ms, "model.layers.0.self_attn.k_proj.weight", "has shape [8, 4] but the model configuration implies [4, 8]", -1L));
        t.add(c("embedding rows differ from vocab_size", config(c -> c.put("vocab_size", VOCAB + 1)), o, ST, ms, EMB, "implies [266, 8]", -1L));
        // ---- config.json
        t.add(c("config.json missing", hf(goodSt, null, tokenizerJson().toString()), o, ST, cj, "config.json", "is missing", -1L));
        t.add(c("config.json is not JSON", configText("{\"hidden_size\": 8,"), o, ST, cj, "config.json", "is not valid JSON", -1L));
        t.add(c("config.json with trailing garbage", configText(configJson().toString() + "}"), o, ST, cj, "config.json", "is not valid JSON", -1L));
        t.add(c("config.json is an array", configText("[]"), o, ST, cj, "config.json", "is not a JSON object", -1L));
        t.add(c("config.json nested 100000 deep", configText(nested(100_000)), o, ST, cj, "config.json", "is not valid JSON", -1L));
        t.add(c("unsupported model_type", config(c -> c.put("model_type", "gpt2")), o, ST, cj, "model_type", "'gpt2' is not supported", -1L));
        t.add(c("hidden_size missing", config(c -> c.remove("hidden_size")), o, ST, cj, "hidden_size", "is missing", -1L));
        t.add(c("hidden_size negative", config(c -> c.put("hidden_size", -8)), o, ST, cj, "hidden_size", "must be a positive integer, got -8", -1L));
        t.add(c("hidden_size is a string", config(c -> c.put("hidden_size", "8")), o, ST, cj, "hidden_size", "must be a positive integer", -1L));
        t.add(c("num_hidden_layers above int range", config(c -> c.put("num_hidden_layers", 1L << 40)), o, ST, cj, "num_hidden_layers", "must be a positive integer", -1L));
        t.add(c("heads do not divide hidden_size", config(c -> c.put("num_attention_heads", 3)), o, ST, cj, "num_attention_heads", "is not a multiple of num_attention_heads 3", -1L));
        t.add(c("kv heads do not divide heads", config(c -> c.put("num_key_value_heads", 3)), o, ST, cj, "config.json", "model config field", -1L));
        t.add(c("rms_norm_eps negative", config(c -> c.put("rms_norm_eps", -1e-6)), o, ST, cj, "rms_norm_eps", "must be a positive number", -1L));
        t.add(c("rope_theta is a string", config(c -> c.put("rope_theta", "10000")), o, ST, cj, "rope_theta", "must be a positive number", -1L));
        t.add(c("hidden_act gelu", config(c -> c.put("hidden_act", "gelu")), o, ST, cj, "hidden_act", "'gelu' is not supported", -1L));
        // ---- tokenizer.json
        t.add(c("tokenizer.json missing", hf(goodSt, configJson().toString(), null), o, TOK, tj, "tokenizer.json", "is missing", -1L));
        t.add(c("tokenizer.json is not JSON", tokenizerText("{\"model\": "), o, TOK, tj, "tokenizer.json", "is not valid JSON", -1L));
        t.add(c("tokenizer.json with trailing garbage", tokenizerText(tokenizerJson().toString() + " x"), o, TOK, tj, "tokenizer.json", "is not valid JSON", -1L));
        t.add(c("tokenizer.json is a string", tokenizerText("\"BPE\""), o, TOK, tj, "tokenizer.json", "is not a JSON object", -1L));
        t.add(c("tokenizer.json nested 100000 deep", tokenizerText(nested(100_000)), o, TOK, tj, "tokenizer.json", "is not valid JSON", -1L));
        t.add(c("WordPiece model", tokenizer(j -> model(j).put("type", "WordPiece")), o, TOK, tj, "model.type", "'WordPiece' is not supported", -1L));
        t.add(c("empty vocab", tokenizer(j -> model(j).putObject("vocab")), o, TOK, tj, "model.vocab", "is missing or empty", -1L));
        t.add(c("negative token id", tokenizer(j -> ((ObjectNode) model(j).get("vocab")).put("ab", -4)), o, TOK, tj, "model.vocab", "invalid token id -4", -1L));
        t.add(c("token id is a string", tokenizer(j -> ((ObjectNode) model(j).get("vocab")).put("ab", "263")), o, TOK, tj, "model.vocab", "invalid token id", -1L));
        t.add(c("token id 2^30", tokenizer(j -> ((ObjectNode) model(j).get("vocab")).put("ab", 1 << 30)), o, TOK, tj, "model.vocab", "invalid token id 1073741824", -1L));
        t.add(c("more tokens than embedding rows", tokenizer(j -> ((ObjectNode) model(j).get("vocab")).put("zz", VOCAB)), o, TOK, tj, "model.vocab", "has 266 tokens but the model only 265", -1L));
        t.add(c("added token id out of range", tokenizer(j -> ((ObjectNode) j.withArray("added_tokens").get(0)).put("id", -1)), o, TOK, tj, "added_tokens", "invalid token id -1", -1L));
        t.add(c("merge is a number", tokenizer(j -> model(j).withArray("merges").add(7)), o, TOK, tj, "model.merges[3]", "is not a pair: 7", -1L));
        t.add(c("merge without a space", tokenizer(j -> model(j).withArray("merges").add("ab")), o, TOK, tj, "model.merges[3]", "is not a pair", -1L));
        t.add(c("merge of unknown pieces", tokenizer(j -> model(j).withArray("merges").add("x y")), o, TOK, tj, "merges[3]", "merge 'x y'", -1L));
        t.add(c("continuing_subword_prefix", tokenizer(j -> model(j).put("continuing_subword_prefix", "##")), o, TOK, tj, "model.continuing_subword_prefix", "is not supported", -1L));
        t.add(c("NFKC normalizer", tokenizer(j -> j.putObject("normalizer").put("type", "NFKC")), o, TOK, tj, "normalizer.type", "'NFKC' is not supported", -1L));
        t.add(c("Prepend of something else", tokenizer(j -> j.putObject("normalizer").put("type", "Prepend").put("prepend", "_")), o, TOK, tj, "normalizer.prepend", "only \"▁\" is supported", -1L));
        t.add(c("Whitespace pre-tokenizer", tokenizer(j -> j.putObject("pre_tokenizer").put("type", "Whitespace")), o, TOK, tj, "pre_tokenizer.type", "'Whitespace' is not supported", -1L));
        t.add(c("Split regex does not compile", tokenizer(j -> {
            ObjectNode p = j.putObject("pre_tokenizer").put("type", "Split").put("behavior", "Isolated");
            p.putObject("pattern").put("Regex", "(unclosed");
        }), o, TOK, tj, "pre_tokenizer.pattern", "cannot be compiled", -1L));
        t.add(c("inverted Split", tokenizer(j -> {
            ObjectNode p = j.putObject("pre_tokenizer").put("type", "Split").put("invert", true);
            p.putObject("pattern").put("Regex", "\\s+");
        }), o, TOK, tj, "pre_tokenizer.Split", "only non-inverted Isolated splits", -1L));
        // ---- llama2.c checkpoint (opened directly, so header checks run before the size-based detection)
        t.add(c("llama2.c file of 10 bytes", llama2cBytes(new byte[10]), l, L2C, mb, "n_layers", "needs 4 bytes but only 2 remain", 8L));
        t.add(c("llama2.c empty file", llama2cBytes(new byte[0]), l, L2C, mb, "dim", "needs 4 bytes but only 0 remain", 0L));
        t.add(c("dim 0", llama2cField(0, 0), l, L2C, mb, "dim", "implausible value 0", 0L));
        t.add(c("dim negative", llama2cField(0, -8), l, L2C, mb, "dim", "implausible value -8", 0L));
        t.add(c("hidden_dim 2^30", llama2cField(1, 1 << 30), l, L2C, mb, "hidden_dim", "implausible value 1073741824", 4L));
        t.add(c("n_layers 2^20", llama2cField(2, 1 << 20), l, L2C, mb, "n_layers", "implausible value 1048576", 8L));
        t.add(c("n_heads 0", llama2cField(3, 0), l, L2C, mb, "n_heads", "implausible value 0", 12L));
        t.add(c("n_heads does not divide dim", llama2cField(3, 3), l, L2C, mb, "n_heads", "dim 8 is not a multiple of 2 * n_heads 3", 12L));
        t.add(c("odd head dim", llama2cField(3, 8), l, L2C, mb, "n_heads", "not a multiple of 2 * n_heads 8", 12L));
        t.add(c("n_kv_heads above n_heads", llama2cField(4, 4), l, L2C, mb, "n_kv_heads", "n_heads 2 is not a multiple of n_kv_heads 4", 16L));
        t.add(c("vocab_size INT_MIN", llama2cField(5, Integer.MIN_VALUE), l, L2C, mb, "vocab_size", "implausible value -2147483648", 20L));
        t.add(c("vocab_size 2^30", llama2cField(5, 1 << 30), l, L2C, mb, "vocab_size", "implausible value 1073741824", 20L));
        t.add(c("seq_len 0", llama2cField(6, 0), l, L2C, mb, "seq_len", "implausible value 0", 24L));
        t.add(c("checkpoint 4 bytes short", llama2cBytes(cut(goodL2c, 4)), l, L2C, mb, "file size", "the header implies " + goodL2c.length, (long) goodL2c.length - 4));
        t.add(c("checkpoint with trailing bytes", llama2cBytes(append(goodL2c, 12)), l, L2C, mb, "file size", "is " + (goodL2c.length + 12) + " bytes", (long) goodL2c.length + 12));
        t.add(c("negative vocab_size without classifier", llama2cField(5, -VOCAB), l, L2C, mb, "file size", "the header implies " + (goodL2c.length + 4 * VOCAB * DIM), null));
        // ---- llama2.c tokenizer.bin
        t.add(c("no tokenizer next to the checkpoint", dir -> writeLlama2c(dir, goodL2c, null), o, TOK, mb, "tokenizer", "no tokenizer.bin or tok*.bin", -1L));
        t.add(c("two tokenizer candidates", dir -> {
            Path m = writeLlama2c(dir.resolve("m"), goodL2c, null);
            write(dir.resolve("m/tok1.bin"), goodTok);
            write(dir.resolve("m/tok2.bin"), goodTok);
            return m;
        }, o, TOK, mb, "tokenizer", "several tokenizer candidates", -1L));
        t.add(c("empty tokenizer.bin", tokenizerBinBytes(new byte[0]), o, TOK, tb, "max_token_length", "needs 4 bytes but only 0 remain", 0L));
        t.add(c("max_token_length 0", tokenizerBinBytes(withInt(goodTok, 0, 0)), o, TOK, tb, "max_token_length", "invalid value 0", 0L));
        t.add(c("max_token_length negative", tokenizerBinBytes(withInt(goodTok, 0, -1)), o, TOK, tb, "max_token_length", "invalid value -1", 0L));
        t.add(c("token length negative", tokenizerBinBytes(withInt(goodTok, tokenLengthOffset(5), -3)), o, TOK, tb, "token[5].length", "invalid length -3", (long) tokenLengthOffset(5)));
        t.add(c("token length above max_token_length", tokenizerBinBytes(withInt(goodTok, tokenLengthOffset(7), 9)), o, TOK, tb, "token[7].length", "invalid length 9 (max_token_length is 8)", (long) tokenLengthOffset(7)));
        t.add(c("token bytes are not UTF-8", vocab(v -> v[261] = new TokenEntry(0, new byte[] {(byte) 0xC3, 0x28})), o, TOK, tb, "token[261].bytes", "is not valid UTF-8", (long) tokenLengthOffset(261) + 4));
        t.add(c("tokenizer.bin truncated mid-token", tokenizerBinBytes(cut(goodTok, 3)), o, TOK, tb, "token[264].bytes", "needs 3 bytes but only 0 remain", (long) goodTok.length - 3));
        t.add(c("tokenizer.bin with trailing bytes", tokenizerBinBytes(append(goodTok, 5)), o, TOK, tb, "vocabulary", "5 bytes follow the 265 tokens", (long) goodTok.length));
        t.add(c("tokenizer for a smaller vocabulary", tokenizerBinBytes(tokenizerBin(8, Arrays.copyOf(llama2cVocab(), 20))), o, TOK, tb, "vocabulary", "vocab_size 265 does not fit", 4L));
        t.add(c("NaN token score", vocab(v -> v[262] = new TokenEntry(Float.NaN, "b")), o, TOK, tb, "scores[262]", "is NaN", -1L));
        // ---- GGUF (the tiny model of the llm tests, one thing broken)
        String gf = "model.gguf";
        byte[] goodGguf = TinyModels.gguf(DType.F32, 3).toBytes();
        t.add(c("GGUF version 1", ggufBytes(withInt(goodGguf, 4, 1)), o, GG, gf, "version", "GGUF v1 (32-bit counts) is not supported", 4L));
        t.add(c("GGUF big-endian", ggufBytes(withInt(goodGguf, 4, Integer.reverseBytes(3))), o, GG, gf, "version", "big-endian GGUF", 4L));
        t.add(c("GGUF version 7", ggufBytes(withInt(goodGguf, 4, 7)), o, GG, gf, "version", "unknown version 7 (supported: 2, 3)", 4L));
        t.add(c("GGUF truncated to 20 bytes", ggufBytes(Arrays.copyOf(goodGguf, 20)), o, GG, gf, "metadata_kv_count", "needs 8 bytes but only 4 remain", 16L));
        t.add(c("GGUF tensor_count 2^40", ggufBytes(withLong(goodGguf, 8, 1L << 40)), o, GG, gf, "tensor_count", "implausible count 1099511627776", 8L));
        t.add(c("GGUF metadata_kv_count 2^64-1", ggufBytes(withLong(goodGguf, 16, -1L)), o, GG, gf, "metadata_kv_count", "implausible count 18446744073709551615", null));
        t.add(c("GGUF alignment 3", gguf(w -> w.put("general.alignment", GgufValueType.UINT32, 3L)), o, GG, gf, "general.alignment", "must be a power of two, got 3", -1L));
        t.add(c("GGUF unknown value type", gguf(w -> w.rawMetadata(new GgufWriter.Buf().string("x.y").i32(99).bytes())), o, GG, gf, "x.y", "unknown metadata value type 99", null));
        t.add(c("GGUF string length 2^40", gguf(w -> w.rawMetadata(ggufKv("x.s", GgufValueType.STRING, b -> b.i64(1L << 40)))), o, GG, gf, "x.s", "string length 1099511627776", null));
        t.add(c("GGUF arrays nested 6 deep", gguf(w -> w.rawMetadata(ggufKv("x.a", GgufValueType.ARRAY, b -> {
            for (int i = 0; i < 6; i++) {
                b.i32(GgufValueType.ARRAY.id()).i64(1);
            }
            return b;
        }))), o, GG, gf, "x.a[0][0][0]", "arrays nested deeper than 4", null));
        t.add(c("GGUF array length 2^40", gguf(w -> w.rawMetadata(ggufKv("x.n", GgufValueType.ARRAY, b -> b.i32(GgufValueType.UINT8.id()).i64(1L << 40)))), o, GG, gf, "x.n", "array length 1099511627776", null));
        t.add(c("GGUF bool 2", gguf(w -> w.rawMetadata(ggufKv("x.b", GgufValueType.BOOL, b -> b.u8(2)))), o, GG, gf, "x.b", "bool value 2 is neither 0 nor 1", null));
        t.add(c("GGUF n_dims 5", gguf(w -> w.rawTensorInfo(new GgufWriter.Buf().string("t5").i32(5).bytes())), o, GG, gf, "t5", "n_dims 5 is outside 1..4", null));
        t.add(c("GGUF unknown ggml type", gguf(w -> w.rawTensorInfo(new GgufWriter.Buf().string("tq").i32(1).i64(32).i32(99).i64(0).bytes())), o, GG, gf, "tq", "unsupported or unknown ggml tensor type 99", null));
        t.add(c("GGUF tensor data past the end", gguf(w -> w.rawTensorInfo(new GgufWriter.Buf().string("tx").i32(1).i64(32).i32(0).i64(1L << 40).bytes())), o, GG, gf, "tx", "data [1099511627776, +128) lies past the end of the file", null));
        t.add(c("GGUF blank metadata key", gguf(w -> w.rawMetadata(ggufKv(" ", GgufValueType.BOOL, b -> b.u8(1)))), o, GG, gf, "metadata key #16", "is blank", null));
        t.add(c("GGUF blank tensor name", gguf(w -> w.rawTensorInfo(new GgufWriter.Buf().string("").i32(1).i64(32).i32(0).i64(0).bytes())), o, GG, gf, "tensor #21 name", "is blank", null));
        t.add(c("GGUF unsupported architecture", gguf(w -> w.putString("general.architecture", "gpt2")), o, GG, gf, "general.architecture", "'gpt2' is not supported", null));
        return t.stream();
    }

    private static void write(Path p, byte[] bytes) {
        try {
            Files.createDirectories(p.getParent());
            Files.write(p, bytes);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void malformedFileFailsWithItsMessage(Case tc, @TempDir Path dir) {
        Path target = tc.setup().apply(dir);
        Throwable thrown = catchThrowable(() -> {
            try (Model m = switch (tc.entry()) {
                case OPEN -> ModelLoader.open(target);
                case SAFETENSORS -> SafetensorsLoader.open(target.resolve("model.safetensors"), false);
                case LLAMA2C -> Llama2cLoader.open(target, null);
            }) {
                throw new AssertionError("opened a malformed file: " + m.config());
            }
        });
        assertThat(thrown).as("exception of %s", tc).isInstanceOf(tc.type());
        ModelFormatException e = (ModelFormatException) thrown;
        if (tc.file() != null) {
            assertThat(e.file().getFileName().toString()).isEqualTo(tc.file());
        }
        assertThat(e.field()).isEqualTo(tc.field());
        assertThat(e.getMessage()).contains(tc.problem()).startsWith(e.file().toString() + ": " + tc.field() + ": ");
        if (tc.offset() != null) {
            assertThat(e.offset()).isEqualTo(tc.offset());
        }
        String message = e.getMessage().substring(e.file().toString().length() + 2).replace(dir.toString(), "<dir>");
        TABLE.put(tc.name(), "| " + tc.name() + " | " + tc.entry().name().toLowerCase(java.util.Locale.ROOT) + " | "
                + e.getClass().getSimpleName() + " | " + (tc.file() == null ? "(directory)" : tc.file()) + " | "
                + message.replace("|", "\\|") + " |");
    }

    /** Actual rows, written to target/malformed-files.md for docs/RELIABILITY.md. */
    private static final Map<String, String> TABLE = new java.util.concurrent.ConcurrentHashMap<>();

    @org.junit.jupiter.api.AfterAll
    static void writeTable() throws IOException {
        StringBuilder md = new StringBuilder("| malformed input | opened with | exception | file | message (after the "
                + "path) |\n|---|---|---|---|---|\n");
        cases().map(Case::name).filter(TABLE::containsKey).forEach(n -> md.append(TABLE.get(n)).append('\n'));
        Path target = Path.of("target");
        if (Files.isDirectory(target)) {
            Files.writeString(target.resolve("malformed-files.md"), md);
        }
    }

    @Test
    void tableIsLargeAndDistinct() {
        List<Case> all = cases().toList();
        Set<String> names = new HashSet<>();
        all.forEach(x -> names.add(x.name()));
        assertThat(all).hasSizeGreaterThanOrEqualTo(50);
        assertThat(names).hasSize(all.size());
        // every format is covered
        assertThat(all.stream().map(Case::type).distinct()).contains(ST, L2C, TOK, GG, ANY);
    }

    @Test
    void theUnbrokenTinyModelsLoad(@TempDir Path dir) throws IOException {
        try (Model hf = ModelLoader.open(writeHfDir(dir.resolve("hf")));
             Model l2c = ModelLoader.open(writeLlama2c(dir.resolve("l2c"), TinyModelFiles.llama2c(), tokenizerBin()))) {
            for (Model m : List.of(hf, l2c)) {
                assertThat(m.config().vocabSize()).isEqualTo(VOCAB);
                assertThat(m.config().dim()).isEqualTo(DIM);
                int[] ids = m.tokenizer().encode("ab a", true);
                assertThat(ids[0]).isEqualTo(1);
                assertThat(m.tokenizer().decode(ids)).isEqualTo("ab a");
            }
        }
    }
}

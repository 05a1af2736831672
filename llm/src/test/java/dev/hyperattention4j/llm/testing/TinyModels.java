package dev.hyperattention4j.llm.testing;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hyperattention4j.llm.format.gguf.GgufValueType;
import dev.hyperattention4j.llm.model.DType;
import dev.hyperattention4j.llm.model.WeightNames;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Small synthetic Llama models in every format (dim 32, FFN 64, 2 layers, 4 query heads, 2 KV heads, head dim 8)
 * with a 262-token SentencePiece-style vocabulary: {@code <unk> <s> </s>}, the 256 byte tokens, "▁", "a", "▁a".
 * Weights are seeded pseudo-random values, so tests can compare what they wrote with what the loaders read.
 */
public final class TinyModels {
    public static final int DIM = 32, HIDDEN = 64, LAYERS = 2, HEADS = 4, KV_HEADS = 2, HEAD_DIM = 8, VOCAB = 262;
    private static final ObjectMapper JSON = new ObjectMapper();

    private TinyModels() {}

    /** The deterministic values of a tensor, from its name. */
    public static float[] values(String name, long... shape) {
        long n = 1;
        for (long s : shape) {
            n *= s;
        }
        SplittableRandom r = new SplittableRandom(name.hashCode());
        float[] v = new float[(int) n];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (r.nextDouble() - 0.5);
        }
        return v;
    }

    /** Vocabulary pieces with "▁" for space. */
    public static List<String> pieces() {
        List<String> p = new ArrayList<>(List.of("<unk>", "<s>", "</s>"));
        for (int b = 0; b < 256; b++) {
            p.add("<0x%02X>".formatted(b));
        }
        p.addAll(List.of("\u2581", "a", "\u2581a"));
        return p;
    }

    public static int typeCode(int id) { return id == 0 ? 2 : id < 3 ? 3 : id < 259 ? 6 : 1; }

    /** Name → shape (outermost first) of every tensor, with the given naming scheme. */
    public static List<Object[]> tensorShapes(WeightNames n, boolean tied, boolean bias) {
        List<Object[]> out = new ArrayList<>();
        int q = HEADS * HEAD_DIM, kv = KV_HEADS * HEAD_DIM;
        out.add(new Object[] {n.tokenEmbedding(), new long[] {VOCAB, DIM}});
        for (int l = 0; l < LAYERS; l++) {
            out.add(new Object[] {WeightNames.layer(n.attentionNorm(), l), new long[] {DIM}});
            out.add(new Object[] {WeightNames.layer(n.wq(), l), new long[] {q, DIM}});
            out.add(new Object[] {WeightNames.layer(n.wk(), l), new long[] {kv, DIM}});
            out.add(new Object[] {WeightNames.layer(n.wv(), l), new long[] {kv, DIM}});
            if (bias) {
                out.add(new Object[] {WeightNames.layer(n.bq(), l), new long[] {q}});
                out.add(new Object[] {WeightNames.layer(n.bk(), l), new long[] {kv}});
                out.add(new Object[] {WeightNames.layer(n.bv(), l), new long[] {kv}});
            }
            out.add(new Object[] {WeightNames.layer(n.wo(), l), new long[] {DIM, q}});
            out.add(new Object[] {WeightNames.layer(n.ffnNorm(), l), new long[] {DIM}});
            out.add(new Object[] {WeightNames.layer(n.ffnGate(), l), new long[] {HIDDEN, DIM}});
            out.add(new Object[] {WeightNames.layer(n.ffnDown(), l), new long[] {DIM, HIDDEN}});
            out.add(new Object[] {WeightNames.layer(n.ffnUp(), l), new long[] {HIDDEN, DIM}});
        }
        out.add(new Object[] {n.finalNorm(), new long[] {DIM}});
        if (!tied) {
            out.add(new Object[] {n.output(), new long[] {VOCAB, DIM}});
        }
        return out;
    }

    // ------------------------------------------------------------------ GGUF

    /** A complete tiny GGUF llama model (matrices in {@code type}, norms F32, untied output). */
    public static GgufWriter gguf(DType type, int version) { return gguf(type, version, "llama"); }

    /** As {@link #gguf(DType, int)} for architecture {@code arch} (qwen2 adds q/k/v biases). */
    public static GgufWriter gguf(DType type, int version, String arch) {
        GgufWriter w = new GgufWriter(version);
        w.putString("general.architecture", arch).putUInt32(arch + ".context_length", 128)
                .putUInt32(arch + ".embedding_length", DIM).putUInt32(arch + ".block_count", LAYERS)
                .putUInt32(arch + ".feed_forward_length", HIDDEN).putUInt32(arch + ".attention.head_count", HEADS)
                .putUInt32(arch + ".attention.head_count_kv", KV_HEADS)
                .putFloat32(arch + ".attention.layer_norm_rms_epsilon", 1e-5f)
                .putFloat32(arch + ".rope.freq_base", 10000f);
        ggufTokenizer(w);
        for (Object[] t : tensorShapes(WeightNames.GGUF, false, arch.equals("qwen2"))) {
            long[] shape = (long[]) t[1];
            w.addTensor((String) t[0], shape.length == 1 ? DType.F32 : type, shape, values((String) t[0], shape));
        }
        return w;
    }

    public static void ggufTokenizer(GgufWriter w) {
        List<String> pieces = pieces();
        List<Integer> types = new ArrayList<>();
        List<Float> scores = new ArrayList<>();
        for (int i = 0; i < pieces.size(); i++) {
            types.add(typeCode(i));
            scores.add(i == VOCAB - 1 ? -1f : -10f);
        }
        w.putString("tokenizer.ggml.model", "llama").putArray("tokenizer.ggml.tokens", GgufValueType.STRING, pieces)
                .putArray("tokenizer.ggml.scores", GgufValueType.FLOAT32, scores)
                .putArray("tokenizer.ggml.token_type", GgufValueType.INT32, types)
                .putUInt32("tokenizer.ggml.bos_token_id", 1).putUInt32("tokenizer.ggml.eos_token_id", 2)
                .putUInt32("tokenizer.ggml.unknown_token_id", 0);
    }

    // ------------------------------------------------------------------ safetensors

    /** config.json fields of a tiny model of the given {@code model_type} (llama, mistral, qwen2). */
    public static ObjectNode config(String modelType, boolean tied) {
        ObjectNode c = JSON.createObjectNode();
        c.putArray("architectures").add(modelType.substring(0, 1).toUpperCase() + modelType.substring(1)
                + "ForCausalLM");
        c.put("model_type", modelType).put("hidden_size", DIM).put("intermediate_size", HIDDEN)
                .put("num_hidden_layers", LAYERS).put("num_attention_heads", HEADS)
                .put("num_key_value_heads", KV_HEADS).put("vocab_size", VOCAB)
                .put("max_position_embeddings", 128).put("rms_norm_eps", 1e-5).put("rope_theta", 500000.0)
                .put("tie_word_embeddings", tied).put("bos_token_id", 1).put("eos_token_id", 2)
                .put("hidden_act", "silu");
        if (modelType.equals("mistral")) {
            c.put("sliding_window", 4096);
        }
        return c;
    }

    /** A SentencePiece-style tokenizer.json over {@link #pieces()} with the one merge "▁ a". */
    public static ObjectNode tokenizerJson() {
        ObjectNode root = JSON.createObjectNode();
        root.put("version", "1.0");
        ArrayNode added = root.putArray("added_tokens");
        String[] specials = {"<unk>", "<s>", "</s>"};
        for (int i = 0; i < 3; i++) {
            added.addObject().put("id", i).put("content", specials[i]).put("special", true);
        }
        ObjectNode norm = root.putObject("normalizer");
        norm.put("type", "Sequence");
        ArrayNode list = norm.putArray("normalizers");
        list.addObject().put("type", "Prepend").put("prepend", "\u2581");
        ObjectNode replace = list.addObject().put("type", "Replace").put("content", "\u2581");
        replace.putObject("pattern").put("String", " ");
        root.putNull("pre_tokenizer");
        ObjectNode model = root.putObject("model");
        model.put("type", "BPE").put("unk_token", "<unk>").put("byte_fallback", true).put("fuse_unk", true);
        ObjectNode vocab = model.putObject("vocab");
        List<String> pieces = pieces();
        for (int i = 0; i < pieces.size(); i++) {
            vocab.put(pieces.get(i), i);
        }
        model.putArray("merges").add("\u2581 a");
        return root;
    }

    /**
     * Writes config.json, tokenizer.json and the weights (one file, or {@code shards} files plus
     * model.safetensors.index.json) into {@code dir}; returns the directory.
     */
    public static Path safetensors(Path dir, String modelType, DType type, boolean tied, int shards)
            throws IOException {
        Files.createDirectories(dir);
        JSON.writeValue(dir.resolve("config.json").toFile(), config(modelType, tied));
        JSON.writeValue(dir.resolve("tokenizer.json").toFile(), tokenizerJson());
        List<Object[]> shapes = tensorShapes(WeightNames.HUGGING_FACE, tied, modelType.equals("qwen2"));
        if (shards <= 1) {
            SafetensorsWriter w = new SafetensorsWriter();
            for (Object[] t : shapes) {
                long[] shape = (long[]) t[1];
                w.add((String) t[0], shape.length == 1 ? DType.F32 : type, shape, values((String) t[0], shape));
            }
            w.write(dir.resolve("model.safetensors"));
            return dir;
        }
        ObjectNode index = JSON.createObjectNode();
        index.putObject("metadata").put("total_size", 0);
        ObjectNode map = index.putObject("weight_map");
        int per = (shapes.size() + shards - 1) / shards;
        for (int s = 0; s < shards; s++) {
            String file = "model-%05d-of-%05d.safetensors".formatted(s + 1, shards);
            SafetensorsWriter w = new SafetensorsWriter();
            for (Object[] t : shapes.subList(s * per, Math.min(shapes.size(), (s + 1) * per))) {
                long[] shape = (long[]) t[1];
                w.add((String) t[0], shape.length == 1 ? DType.F32 : type, shape, values((String) t[0], shape));
                map.put((String) t[0], file);
            }
            w.write(dir.resolve(file));
        }
        JSON.writeValue(dir.resolve("model.safetensors.index.json").toFile(), index);
        return dir;
    }

    // ------------------------------------------------------------------ llama2.c

    /** Writes {@code model.bin} (legacy llama2.c layout) and {@code tokenizer.bin} into dir; returns the model. */
    public static Path llama2c(Path dir, boolean sharedClassifier) throws IOException {
        return llama2c(dir, sharedClassifier, 0);
    }

    /**
     * Writes {@code model.bin} in llama2.c export version 0 (legacy run.c layout) or 1 ("ak42" header, norms first,
     * no freq_cis) and {@code tokenizer.bin}; returns the model path.
     */
    public static Path llama2c(Path dir, boolean sharedClassifier, int version) throws IOException {
        Files.createDirectories(dir);
        int seq = 16;
        ByteBuffer b = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
        if (version == 1) {
            b.putInt(0x616b3432).putInt(1);
        }
        for (int v : new int[] {DIM, HIDDEN, LAYERS, HEADS, KV_HEADS,
                sharedClassifier || version == 1 ? VOCAB : -VOCAB, seq}) {
            b.putInt(v);
        }
        if (version == 1) {
            b.put((byte) (sharedClassifier ? 1 : 0));
            b.position(256);
        }
        WeightNames n = WeightNames.LLAMA2C;
        int kv = KV_HEADS * HEAD_DIM;
        String[] norms = {n.attentionNorm(), n.ffnNorm()};
        if (version == 1) {
            for (String norm : norms) {
                for (int l = 0; l < LAYERS; l++) {
                    put(b, values(WeightNames.layer(norm, l), DIM));
                }
            }
            put(b, values(n.finalNorm(), DIM));
        }
        put(b, values(n.tokenEmbedding(), VOCAB, DIM));
        String[] order = {n.attentionNorm(), n.wq(), n.wk(), n.wv(), n.wo(), n.ffnNorm(), n.ffnGate(), n.ffnDown(),
                n.ffnUp()};
        long[][] shapes = {{DIM}, {DIM, DIM}, {kv, DIM}, {kv, DIM}, {DIM, DIM}, {DIM}, {HIDDEN, DIM}, {DIM, HIDDEN},
                {HIDDEN, DIM}};
        for (int role = 0; role < order.length; role++) {
            if (version == 1 && shapes[role].length == 1) {
                continue; // norms already written
            }
            for (int l = 0; l < LAYERS; l++) {
                put(b, values(WeightNames.layer(order[role], l), shapes[role]));
            }
        }
        if (version == 0) {
            put(b, values(n.finalNorm(), DIM));
            put(b, new float[seq * HEAD_DIM]); // freq_cis_real and _imag
        }
        if (!sharedClassifier) {
            put(b, values(n.output(), VOCAB, DIM));
        }
        Path model = dir.resolve("model.bin");
        Files.write(model, java.util.Arrays.copyOf(b.array(), b.position()));
        Files.write(dir.resolve("tokenizer.bin"), llama2cTokenizer(pieces().size()));
        return model;
    }

    /** llama2.c tokenizer bytes for {@link #pieces()} (spaces stored as ' '), first {@code count} tokens. */
    public static byte[] llama2cTokenizer(int count) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteBuffer b = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
        out.write(b.putInt(0, 16).array(), 0, 4);
        List<String> pieces = pieces();
        for (int i = 0; i < count; i++) {
            String p = i == 1 ? "\n<s>\n" : i == 2 ? "\n</s>\n" : pieces.get(i).replace('\u2581', ' ');
            byte[] bytes = p.getBytes(StandardCharsets.UTF_8);
            b.clear();
            b.putFloat(i == VOCAB - 1 ? -1f : -10f).putInt(bytes.length);
            out.write(b.array(), 0, 8);
            out.writeBytes(bytes);
        }
        return out.toByteArray();
    }

    private static void put(ByteBuffer b, float[] v) {
        for (float x : v) {
            b.putFloat(x);
        }
    }
}

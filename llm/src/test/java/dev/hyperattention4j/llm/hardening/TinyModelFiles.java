package dev.hyperattention4j.llm.hardening;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/**
 * Writers for tiny but complete model files of every supported format (llama2.c checkpoint + tokenizer.bin,
 * safetensors + config.json + tokenizer.json), built from scratch so the malformed-input table and the fuzz seeds
 * can start from a valid file and break exactly one thing. The model: 1 layer, dim 8, 2 query heads, 1 KV head,
 * head dim 4, FFN 16; vocabulary {@link #VOCAB} (unk, BOS, EOS, 256 byte tokens, a few merges).
 */
public final class TinyModelFiles {
    public static final int DIM = 8, HIDDEN = 16, LAYERS = 1, HEADS = 2, KV_HEADS = 1, SEQ = 16;
    public static final int HEAD_DIM = DIM / HEADS, KV_DIM = KV_HEADS * HEAD_DIM;
    /** unk, BOS, EOS, &lt;0x00&gt;..&lt;0xFF&gt;, then {@link #EXTRA}. */
    public static final String[] EXTRA = {"\u2581", "a", "b", "\u2581a", "ab", "\u2581ab"};
    public static final int VOCAB = 3 + 256 + EXTRA.length;
    public static final ObjectMapper JSON = new ObjectMapper();

    private TinyModelFiles() {}

    // ------------------------------------------------------------------------------------------- llama2.c

    /** The seven header ints of the tiny llama2.c checkpoint (positive vocab: shared classifier). */
    public static int[] llama2cHeader() {
        return new int[] {DIM, HIDDEN, LAYERS, HEADS, KV_HEADS, VOCAB, SEQ};
    }

    /** Floats a llama2.c checkpoint with this header holds after the 28 header bytes. */
    public static long llama2cFloats(int[] h) {
        long dim = h[0], hidden = h[1], layers = h[2], heads = h[3], kvHeads = h[4], vocab = Math.abs((long) h[5]);
        long headDim = dim / heads, kvDim = kvHeads * headDim;
        return vocab * dim + layers * (2 * dim + 2 * dim * dim + 2 * kvDim * dim + 3 * dim * hidden) + dim
                + (long) h[6] * headDim + (h[5] < 0 ? vocab * dim : 0);
    }

    /** A header plus {@code floats} small random weights. */
    public static byte[] llama2c(int[] header, long floats) {
        ByteBuffer b = ByteBuffer.allocate(Math.toIntExact(28 + 4 * floats)).order(ByteOrder.LITTLE_ENDIAN);
        for (int v : header) {
            b.putInt(v);
        }
        Random r = new Random(7);
        while (b.hasRemaining()) {
            b.putFloat((float) (0.3 * r.nextGaussian()));
        }
        return b.array();
    }

    public static byte[] llama2c() {
        return llama2c(llama2cHeader(), llama2cFloats(llama2cHeader()));
    }

    /** One tokenizer.bin entry. */
    public record TokenEntry(float score, byte[] bytes) {
        public TokenEntry(float score, String text) {
            this(score, text.getBytes(StandardCharsets.UTF_8));
        }
    }

    /** The llama2.c vocabulary of the tiny model: spaces as ' ', as llama2.c exports them. */
    public static TokenEntry[] llama2cVocab() {
        TokenEntry[] v = new TokenEntry[VOCAB];
        v[0] = new TokenEntry(0, "<unk>");
        v[1] = new TokenEntry(0, "\n<s>\n");
        v[2] = new TokenEntry(0, "\n</s>\n");
        for (int b = 0; b < 256; b++) {
            v[3 + b] = new TokenEntry(0, "<0x%02X>".formatted(b));
        }
        for (int i = 0; i < EXTRA.length; i++) {
            v[259 + i] = new TokenEntry(-i, EXTRA[i].replace('\u2581', ' '));
        }
        return v;
    }

    public static byte[] tokenizerBin(int maxTokenLength, TokenEntry[] vocab) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteBuffer b = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
        out.write(b.putInt(0, maxTokenLength).array(), 0, 4);
        for (TokenEntry e : vocab) {
            b.clear();
            b.putFloat(e.score()).putInt(e.bytes().length);
            out.write(b.array(), 0, 8);
            out.writeBytes(e.bytes());
        }
        return out.toByteArray();
    }

    public static byte[] tokenizerBin() {
        return tokenizerBin(8, llama2cVocab());
    }

    // ------------------------------------------------------------------------------------------- safetensors

    /** HF tensor name → shape of the tiny model (tied embeddings: no lm_head). */
    public static Map<String, long[]> hfShapes() {
        Map<String, long[]> m = new LinkedHashMap<>();
        m.put("model.embed_tokens.weight", new long[] {VOCAB, DIM});
        String p = "model.layers.0.";
        m.put(p + "input_layernorm.weight", new long[] {DIM});
        m.put(p + "self_attn.q_proj.weight", new long[] {DIM, DIM});
        m.put(p + "self_attn.k_proj.weight", new long[] {KV_DIM, DIM});
        m.put(p + "self_attn.v_proj.weight", new long[] {KV_DIM, DIM});
        m.put(p + "self_attn.o_proj.weight", new long[] {DIM, DIM});
        m.put(p + "post_attention_layernorm.weight", new long[] {DIM});
        m.put(p + "mlp.gate_proj.weight", new long[] {HIDDEN, DIM});
        m.put(p + "mlp.down_proj.weight", new long[] {DIM, HIDDEN});
        m.put(p + "mlp.up_proj.weight", new long[] {HIDDEN, DIM});
        m.put("model.norm.weight", new long[] {DIM});
        return m;
    }

    /** The JSON header of an F32 safetensors file holding {@code shapes} back to back. */
    public static ObjectNode safetensorsHeader(Map<String, long[]> shapes) {
        ObjectNode root = JSON.createObjectNode();
        root.putObject("__metadata__").put("format", "pt");
        long offset = 0;
        for (Map.Entry<String, long[]> e : shapes.entrySet()) {
            long n = 1;
            ObjectNode t = root.putObject(e.getKey());
            t.put("dtype", "F32");
            ArrayNode shape = t.putArray("shape");
            for (long s : e.getValue()) {
                shape.add(s);
                n *= s;
            }
            t.putArray("data_offsets").add(offset).add(offset + 4 * n);
            offset += 4 * n;
        }
        return root;
    }

    /** Bytes after the header that the header's largest data offset implies. */
    public static long dataBytes(ObjectNode header) {
        long end = 0;
        for (var e : header.properties()) {
            if (e.getValue().has("data_offsets") && e.getValue().get("data_offsets").size() == 2) {
                end = Math.max(end, e.getValue().get("data_offsets").get(1).asLong());
            }
        }
        return end;
    }

    /** u64 header length, the header bytes, then {@code dataBytes} random weight bytes. */
    public static byte[] safetensors(byte[] header, long dataBytes) {
        ByteBuffer b = ByteBuffer.allocate(Math.toIntExact(8 + header.length + dataBytes))
                .order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(header.length).put(header);
        Random r = new Random(11);
        while (b.remaining() >= 4) {
            b.putFloat((float) (0.3 * r.nextGaussian()));
        }
        return b.array();
    }

    public static byte[] safetensors(ObjectNode header) {
        return safetensors(header.toString().getBytes(StandardCharsets.UTF_8), dataBytes(header));
    }

    public static byte[] safetensors() {
        return safetensors(safetensorsHeader(hfShapes()));
    }

    public static ObjectNode configJson() {
        ObjectNode c = JSON.createObjectNode();
        c.put("model_type", "llama").put("hidden_size", DIM).put("intermediate_size", HIDDEN)
                .put("num_hidden_layers", LAYERS).put("num_attention_heads", HEADS)
                .put("num_key_value_heads", KV_HEADS).put("vocab_size", VOCAB).put("max_position_embeddings", SEQ)
                .put("rms_norm_eps", 1e-6).put("rope_theta", 10000.0).put("hidden_act", "silu")
                .put("tie_word_embeddings", true).put("bos_token_id", 1).put("eos_token_id", 2);
        return c;
    }

    /** A SentencePiece-like HF tokenizer.json (Prepend + Replace normalizer, byte fallback, ranked merges). */
    public static ObjectNode tokenizerJson() {
        ObjectNode root = JSON.createObjectNode();
        ArrayNode added = root.putArray("added_tokens");
        String[] specials = {"<unk>", "<s>", "</s>"};
        for (int i = 0; i < 3; i++) {
            added.addObject().put("id", i).put("content", specials[i]).put("special", true);
        }
        ObjectNode normalizer = root.putObject("normalizer").put("type", "Sequence");
        ArrayNode ns = normalizer.putArray("normalizers");
        ns.addObject().put("type", "Prepend").put("prepend", "\u2581");
        ObjectNode replace = ns.addObject().put("type", "Replace").put("content", "\u2581");
        replace.putObject("pattern").put("String", " ");
        root.putNull("pre_tokenizer");
        ObjectNode model = root.putObject("model").put("type", "BPE").put("unk_token", "<unk>")
                .put("byte_fallback", true);
        ObjectNode vocab = model.putObject("vocab");
        for (int i = 0; i < 3; i++) {
            vocab.put(specials[i], i);
        }
        for (int b = 0; b < 256; b++) {
            vocab.put("<0x%02X>".formatted(b), 3 + b);
        }
        for (int i = 0; i < EXTRA.length; i++) {
            vocab.put(EXTRA[i], 259 + i);
        }
        ArrayNode merges = model.putArray("merges");
        merges.add("\u2581 a").add("a b").add("\u2581a b");
        return root;
    }

    // ------------------------------------------------------------------------------------------- directories

    /** Writes a complete, loadable HF checkpoint directory. */
    public static Path writeHfDir(Path dir) {
        return writeHfDir(dir, safetensors(), configJson().toString(), tokenizerJson().toString());
    }

    public static Path writeHfDir(Path dir, byte[] weights, String config, String tokenizer) {
        try {
            Files.createDirectories(dir);
            Files.write(dir.resolve("model.safetensors"), weights);
            if (config != null) {
                Files.writeString(dir.resolve("config.json"), config);
            }
            if (tokenizer != null) {
                Files.writeString(dir.resolve("tokenizer.json"), tokenizer);
            }
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes {@code model.bin} and (when not null) {@code tokenizer.bin}; returns the checkpoint path. */
    public static Path writeLlama2c(Path dir, byte[] checkpoint, byte[] tokenizer) {
        try {
            Files.createDirectories(dir);
            Path model = dir.resolve("model.bin");
            Files.write(model, checkpoint);
            if (tokenizer != null) {
                Files.write(dir.resolve("tokenizer.bin"), tokenizer);
            }
            return model;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

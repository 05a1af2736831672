package dev.hyperattention4j.llm.format.llama2c;

import dev.hyperattention4j.llm.format.io.BinaryReader;
import dev.hyperattention4j.llm.format.io.FormatErrors;
import dev.hyperattention4j.llm.format.io.MappedFile;
import dev.hyperattention4j.llm.model.BoundWeights;
import dev.hyperattention4j.llm.model.DType;
import dev.hyperattention4j.llm.model.LoadedModel;
import dev.hyperattention4j.llm.model.ModelConfig;
import dev.hyperattention4j.llm.model.ModelFormatException;
import dev.hyperattention4j.llm.model.RopeStyle;
import dev.hyperattention4j.llm.model.WeightNames;
import dev.hyperattention4j.llm.model.WeightTensor;
import dev.hyperattention4j.llm.tokenizer.Llama2cTokenizerReader;
import dev.hyperattention4j.llm.tokenizer.Tokenizer;
import dev.hyperattention4j.llm.tokenizer.TokenizerFormatException;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Loads a llama2.c checkpoint. The legacy format ({@code run.c}'s, export version 0): a 28-byte header of seven
 * int32 (dim, hidden_dim,
 * n_layers, n_heads, n_kv_heads, vocab_size, seq_len; a negative vocab_size means a separate classifier), then F32
 * arrays in this order, each covering all layers: token_embedding [vocab][dim], rms_att [L][dim],
 * wq [L][dim][dim], wk [L][kvDim][dim], wv [L][kvDim][dim], wo [L][dim][dim], rms_ffn [L][dim],
 * w1 [L][hidden][dim], w2 [L][dim][hidden], w3 [L][hidden][dim], rms_final [dim],
 * freq_cis_real/imag [seq][headDim/2] each (unused: RoPE is computed), then wcls [vocab][dim] when not shared.
 * Matrices are already [out][in] and Q/K rows in the interleaved RoPE order. The whole file must have exactly the
 * size the header implies; that is also how a header-less file is recognised as llama2.c.
 *
 * <p>Export version 1 (fp32): uint32 magic "ak42", int32 version, the same seven int32, a uint8 shared-classifier
 * flag, zero padding to 256 bytes; then all attention norms, all FFN norms, the final norm, the embedding, wq, wk,
 * wv, wo, w1, w2, w3 (each over all layers) and the classifier when not shared; no freq_cis tables.
 */
public final class Llama2cLoader {
    public static final int HEADER_BYTES = 28;
    /** llama2.c hard-codes these. */
    public static final float NORM_EPS = 1e-5f;
    public static final float ROPE_THETA = 10000f;

    private Llama2cLoader() {}

    /** export.py's "ak42" magic of the versioned formats (uint32 0x616b3432, little-endian "24ka"). */
    public static final int MAGIC = 0x616b3432;
    /** Versioned files pad their header to 256 bytes. */
    public static final int V1_HEADER_BYTES = 256;

    /**
     * Header fields, validated for plausibility.
     *
     * @param version       0 for the legacy run.c format, 1 for export.py's fp32 "ak42" version 1
     * @param dataOffset    where the weights start (28 or 256)
     * @param expectedBytes the exact file size the header implies
     */
    public record Header(int version, int dim, int hiddenDim, int layers, int heads, int kvHeads, int vocabSize,
                         boolean shared, int seqLen, long dataOffset, long expectedBytes) {
        int headDim() { return dim / heads; }
        int kvDim() { return kvHeads * headDim(); }
    }

    /** Whether the segment starts with the versioned-format magic. */
    public static boolean hasMagic(MemorySegment file) {
        return file.byteSize() >= 8 && file.get(BinaryReader.INT, 0) == MAGIC;
    }

    /** Parses and checks the header of a mapped file (also used for format detection). */
    public static Header readHeader(MemorySegment file, FormatErrors errors) throws ModelFormatException {
        BinaryReader in = new BinaryReader(file, 0, errors);
        int version = 0;
        if (hasMagic(file)) {
            in.readInt("magic");
            version = in.readInt("version");
            if (version != 1) {
                throw errors.error("version", "llama2.c export version " + version + " is not supported (legacy "
                        + "and version 1 fp32 only; version 2 is llama2.c's own Q8_0 grouping)", 4);
            }
        }
        long base = in.position();
        String[] names = {"dim", "hidden_dim", "n_layers", "n_heads", "n_kv_heads", "vocab_size", "seq_len"};
        int[] v = new int[7];
        for (int i = 0; i < 7; i++) {
            v[i] = in.readInt(names[i]);
        }
        int[] limits = {1 << 16, 1 << 18, 1024, 1024, 1024, Llama2cTokenizerReader.MAX_VOCAB, 1 << 24};
        for (int i = 0; i < 7; i++) {
            // legacy files say "separate classifier" with a negative vocab_size; version 1 has a flag instead
            int value = i == 5 && version == 0 ? Math.abs(v[i]) : v[i];
            if (value <= 0 || value > limits[i] || v[i] == Integer.MIN_VALUE) {
                throw errors.error(names[i], "implausible value " + v[i] + " (expected 1.." + limits[i] + ")",
                        base + 4L * i);
            }
        }
        int dim = v[0], hidden = v[1], layers = v[2], heads = v[3], kvHeads = v[4], seq = v[6];
        if (dim % heads != 0 || (dim / heads) % 2 != 0) {
            throw errors.error("n_heads", "dim " + dim + " is not a multiple of 2 * n_heads " + heads, base + 12);
        }
        if (kvHeads > heads || heads % kvHeads != 0) {
            throw errors.error("n_kv_heads", "n_heads " + heads + " is not a multiple of n_kv_heads " + kvHeads,
                    base + 16);
        }
        boolean shared = version == 0 ? v[5] > 0 : in.readByte("shared_classifier") != 0;
        long vocab = Math.abs((long) v[5]);
        long kvDim = (long) kvHeads * (dim / heads);
        long floats = vocab * dim
                + (long) layers * (2L * dim + 2L * dim * dim + 2L * kvDim * dim + 3L * dim * hidden)
                + dim + (version == 0 ? (long) seq * (dim / heads) : 0)
                + (shared ? 0 : vocab * dim);
        long dataOffset = version == 0 ? HEADER_BYTES : V1_HEADER_BYTES;
        return new Header(version, dim, hidden, layers, heads, kvHeads, (int) vocab, shared, seq, dataOffset,
                dataOffset + 4 * floats);
    }

    /**
     * Opens a checkpoint; the tokenizer is {@code tokenizerFile} if given, else {@code tokenizer.bin} next to the
     * checkpoint, else the only {@code tok*.bin} there.
     */
    public static LoadedModel open(Path file, Path tokenizerFile) throws IOException {
        FormatErrors errors = (field, problem, offset) -> new Llama2cFormatException(file, field, problem, offset);
        Arena arena = Arena.ofShared();
        try {
            MemorySegment data = MappedFile.map(file, arena);
            Header h = readHeader(data, errors);
            if (data.byteSize() != h.expectedBytes()) {
                throw errors.error("file size", "is " + data.byteSize() + " bytes but the header implies "
                        + h.expectedBytes() + " (truncated, or not a llama2.c checkpoint)", data.byteSize());
            }
            ModelConfig config;
            try {
                config = new ModelConfig("llama2c", "llama", h.dim(), h.hiddenDim(), h.layers(), h.heads(),
                        h.kvHeads(), h.headDim(), h.vocabSize(), h.seqLen(), NORM_EPS, ROPE_THETA,
                        RopeStyle.INTERLEAVED, h.shared(), false, 1, 2);
            } catch (IllegalArgumentException e) {
                throw errors.error("header", e.getMessage(), 0);
            }
            Map<String, WeightTensor> tensors = slice(data, h);
            BoundWeights weights = BoundWeights.bind(config, tensors, WeightNames.LLAMA2C, errors);
            Path tokPath = tokenizerFile != null ? tokenizerFile : findTokenizer(file);
            Tokenizer tokenizer = Llama2cTokenizerReader.read(tokPath, h.vocabSize());
            Map<String, Object> meta = new LinkedHashMap<>();
            meta.put("dim", h.dim());
            meta.put("hidden_dim", h.hiddenDim());
            meta.put("n_layers", h.layers());
            meta.put("n_heads", h.heads());
            meta.put("n_kv_heads", h.kvHeads());
            meta.put("version", h.version());
            meta.put("vocab_size", h.vocabSize());
            meta.put("shared_classifier", h.shared());
            meta.put("seq_len", h.seqLen());
            meta.put("tokenizer", tokPath.toString());
            return new LoadedModel(file, config, weights, tokenizer, new ArrayList<>(tensors.values()), meta, arena);
        } catch (IOException | RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    private static Map<String, WeightTensor> slice(MemorySegment data, Header h) {
        Map<String, WeightTensor> out = new LinkedHashMap<>();
        long[] offset = {h.dataOffset()};
        int dim = h.dim(), hidden = h.hiddenDim(), kvDim = h.kvDim(), layers = h.layers();
        WeightNames n = WeightNames.LLAMA2C;
        if (h.version() == 0) {
            add(out, data, offset, n.tokenEmbedding(), h.vocabSize(), dim);
            perLayer(out, data, offset, n.attentionNorm(), layers, dim);
        } else { // version 1 puts all the norms first, then the embedding
            perLayer(out, data, offset, n.attentionNorm(), layers, dim);
            perLayer(out, data, offset, n.ffnNorm(), layers, dim);
            add(out, data, offset, n.finalNorm(), dim);
            add(out, data, offset, n.tokenEmbedding(), h.vocabSize(), dim);
        }
        perLayer(out, data, offset, n.wq(), layers, dim, dim);
        perLayer(out, data, offset, n.wk(), layers, kvDim, dim);
        perLayer(out, data, offset, n.wv(), layers, kvDim, dim);
        perLayer(out, data, offset, n.wo(), layers, dim, dim);
        if (h.version() == 0) {
            perLayer(out, data, offset, n.ffnNorm(), layers, dim);
        }
        perLayer(out, data, offset, n.ffnGate(), layers, hidden, dim);
        perLayer(out, data, offset, n.ffnDown(), layers, dim, hidden);
        perLayer(out, data, offset, n.ffnUp(), layers, hidden, dim);
        if (h.version() == 0) {
            add(out, data, offset, n.finalNorm(), dim);
            offset[0] += 4L * h.seqLen() * h.headDim(); // freq_cis_real + freq_cis_imag, each seq * headDim/2
        }
        if (!h.shared()) {
            add(out, data, offset, n.output(), h.vocabSize(), dim);
        }
        return out;
    }

    private static void perLayer(Map<String, WeightTensor> out, MemorySegment data, long[] offset, String pattern,
                                 int layers, long... shape) {
        for (int l = 0; l < layers; l++) {
            add(out, data, offset, WeightNames.layer(pattern, l), shape);
        }
    }

    private static void add(Map<String, WeightTensor> out, MemorySegment data, long[] offset, String name,
                            long... shape) {
        long elements = 1;
        for (long s : shape) {
            elements *= s;
        }
        long bytes = DType.F32.bytesFor(elements);
        out.put(name, new WeightTensor(name, DType.F32, shape, data.asSlice(offset[0], bytes)));
        offset[0] += bytes;
    }

    static Path findTokenizer(Path checkpoint) throws IOException {
        Path dir = checkpoint.toAbsolutePath().getParent();
        Path standard = dir.resolve("tokenizer.bin");
        if (Files.isRegularFile(standard)) {
            return standard;
        }
        List<Path> candidates;
        try (Stream<Path> files = Files.list(dir)) {
            candidates = files.filter(p -> {
                String name = p.getFileName().toString();
                return name.startsWith("tok") && name.endsWith(".bin") && Files.isRegularFile(p)
                        && !p.equals(checkpoint.toAbsolutePath());
            }).toList();
        }
        if (candidates.size() != 1) {
            throw new TokenizerFormatException(checkpoint, "tokenizer", candidates.isEmpty()
                    ? "no tokenizer.bin or tok*.bin next to the checkpoint in " + dir + "; pass the tokenizer path"
                    : "several tokenizer candidates " + candidates + "; pass the tokenizer path explicitly");
        }
        return candidates.getFirst();
    }
}

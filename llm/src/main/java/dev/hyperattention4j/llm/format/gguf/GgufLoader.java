package dev.hyperattention4j.llm.format.gguf;

import dev.hyperattention4j.llm.format.io.FormatErrors;
import dev.hyperattention4j.llm.format.io.Printable;
import dev.hyperattention4j.llm.format.io.MappedFile;
import dev.hyperattention4j.llm.model.BackgroundScaleCheck;
import dev.hyperattention4j.llm.model.BlockLayout;
import dev.hyperattention4j.llm.model.BoundWeights;
import dev.hyperattention4j.llm.model.LoadedModel;
import dev.hyperattention4j.llm.model.ModelConfig;
import dev.hyperattention4j.llm.model.RopeScaling;
import dev.hyperattention4j.llm.model.RopeStyle;
import dev.hyperattention4j.llm.model.WeightNames;
import dev.hyperattention4j.llm.model.WeightTensor;
import dev.hyperattention4j.llm.tokenizer.BpeTokenizer;
import dev.hyperattention4j.llm.tokenizer.GgufTokenizers;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Loads a GGUF model ({@code general.architecture} llama, mistral, qwen2, phi2 or chatglm) with its embedded
 * tokenizer. Quantised tensors stay packed in the mapping. RoPE: llama.cpp's converter permutes Llama/Mistral Q/K
 * rows into the interleaved order, so those use {@link RopeStyle#INTERLEAVED}, as does ChatGLM natively (adjacent
 * pairs in the first half of each head); Qwen2 and phi2 are not permuted and run llama.cpp's NEOX rope, which is
 * {@link RopeStyle#ROTATE_HALF}. RoPE scaling is read by {@link GgufRopeScaling}. Architecture keys this runtime
 * does not know are refused, naming the key: a field it cannot honour must not be ignored.
 */
public final class GgufLoader {
    private static final Set<String> SUPPORTED = Set.of("llama", "mistral", "qwen2", "phi2", "chatglm");
    /** The {@code <arch>.*} keys read below ({@code rope.*} is checked by GgufRopeScaling). */
    private static final Set<String> KNOWN_KEYS = Set.of("context_length", "embedding_length", "block_count",
            "feed_forward_length", "vocab_size", "attention.head_count", "attention.head_count_kv",
            "attention.key_length", "attention.value_length", "attention.layer_norm_rms_epsilon",
            "attention.layer_norm_epsilon", "attention.sliding_window", "expert_count", "expert_used_count",
            "tensor_data_layout");

    private GgufLoader() {}

    public static LoadedModel open(Path file) throws IOException {
        Arena arena = Arena.ofShared();
        BackgroundScaleCheck scaleCheck = null;
        try {
            MemorySegment data = MappedFile.map(file, arena);
            GgufFile gguf = GgufFile.parse(file, data);
            // a NaN block scale poisons whole rows; checked while the rest of the file is read (its page faults
            // are most of the load time), awaited before the model is returned
            scaleCheck = BackgroundScaleCheck.start(file, new ArrayList<>(gguf.tensors().values()));
            LoadedModel model = open(file, gguf, arena);
            scaleCheck.await();
            return model;
        } catch (IOException | RuntimeException e) {
            if (scaleCheck != null) {
                try {
                    scaleCheck.await(); // before the mapping closes; a bad scale is reported first, as before
                } catch (IOException | RuntimeException bad) {
                    arena.close();
                    throw bad;
                }
            }
            arena.close();
            throw e;
        }
    }

    /** Reads the model description, the tokenizer and the weights' binding from a parsed file. */
    private static LoadedModel open(Path file, GgufFile gguf, Arena arena) throws IOException {
        GgufMetadata md = gguf.metadata();
        Map<String, WeightTensor> tensors = gguf.tensors();
        FormatErrors errors = (field, problem, offset) -> new GgufFormatException(file, field, problem, offset);
        String arch = md.string("general.architecture");
        if (!SUPPORTED.contains(arch)) {
            throw new GgufFormatException(file, "general.architecture", "'" + arch + "' is not supported "
                    + SUPPORTED, -1);
        }
        int dim = (int) md.integer(arch + ".embedding_length", 1, 1 << 16);
        int heads = (int) md.integer(arch + ".attention.head_count", 1, 1024);
        int kvHeads = (int) md.integer(arch + ".attention.head_count_kv", 1, 1024, heads);
        checkKeys(file, md, arch);
        int headDim = (int) md.integer(arch + ".attention.key_length", 1, 1024, dim / heads);
        if (md.integer(arch + ".attention.value_length", 1, 1024, headDim) != headDim) {
            throw new GgufFormatException(file, arch + ".attention.value_length", "differs from the key length "
                    + headDim + ", which is not supported", -1);
        }
        if (heads % kvHeads != 0) {
            throw new GgufFormatException(file, arch + ".attention.head_count_kv", "head_count " + heads
                    + " is not a multiple of head_count_kv " + kvHeads, -1);
        }
        // ChatGLM rotates the first half of each head; llama.cpp's loader assumes the same without the key
        int rotaryDims = (int) md.integer(arch + ".rope.dimension_count", 2, headDim,
                arch.equals("chatglm") ? headDim / 2 : headDim);
        if (rotaryDims % 2 != 0) {
            throw new GgufFormatException(file, arch + ".rope.dimension_count", "must be even, got "
                    + rotaryDims, -1);
        }
        int context = (int) md.integer(arch + ".context_length", 1, Integer.MAX_VALUE, 2048);
        RopeScaling scaling = GgufRopeScaling.read(file, md, arch, tensors, rotaryDims, context);
        WeightTensor embedding = tensors.get(WeightNames.GGUF.tokenEmbedding());
        if (embedding == null) {
            throw new GgufFormatException(file, WeightNames.GGUF.tokenEmbedding(), "required tensor is missing",
                    -1);
        }
        int vocab = (int) md.integer(arch + ".vocab_size", 1, 1 << 22, embedding.shape()[0]);
        BpeTokenizer tokenizer = GgufTokenizers.build(file, md);
        boolean tied = !tensors.containsKey(WeightNames.GGUF.output());
        boolean bias = tensors.containsKey(WeightNames.GGUF.name(WeightNames.Role.BQ, 0))
                || tensors.containsKey(WeightNames.GGUF.name(WeightNames.Role.BQKV, 0));
        boolean phi = arch.equals("phi2");
        String epsKey = arch + (phi ? ".attention.layer_norm_epsilon" : ".attention.layer_norm_rms_epsilon");
        String otherEps = arch + (phi ? ".attention.layer_norm_rms_epsilon" : ".attention.layer_norm_epsilon");
        if (md.has(otherEps)) {
            throw new GgufFormatException(file, otherEps, "does not match the " + arch + " block's norm (it uses "
                    + epsKey + ")", -1);
        }
        int window = (int) md.integer(arch + ".attention.sliding_window", 0, Integer.MAX_VALUE, 0);
        RopeStyle style = arch.equals("qwen2") || phi ? RopeStyle.ROTATE_HALF : RopeStyle.INTERLEAVED;
        ModelConfig config;
        try {
            config = new ModelConfig("gguf", arch, dim,
                    (int) md.integer(arch + ".feed_forward_length", 1, 1 << 18),
                    (int) md.integer(arch + ".block_count", 1, 1024), heads, kvHeads, headDim, vocab,
                    context,
                    (float) md.number(epsKey, 1e-5, v -> v > 0 && v < ModelConfig.MAX_NORM_EPS,
                            "a norm epsilon in (0, 1)"),
                    (float) md.number(arch + ".rope.freq_base", 10000.0, v -> v >= ModelConfig.MIN_ROPE_THETA
                            && v <= ModelConfig.MAX_ROPE_THETA, "a RoPE base in [1, 1.0E10]"),
                    style, tied, bias, tokenizer.bosId(), tokenizer.eosId(),
                    phi ? BlockLayout.PHI : BlockLayout.LLAMA, rotaryDims, scaling, window);
        } catch (IllegalArgumentException e) {
            throw new GgufFormatException(file, "metadata", e.getMessage(), -1);
        }
        if (tokenizer.vocabSize() > vocab) {
            throw new GgufFormatException(file, "tokenizer.ggml.tokens", tokenizer.vocabSize()
                    + " tokens but only " + vocab + " embedding rows", -1);
        }
        BoundWeights weights = BoundWeights.bind(config, tensors, WeightNames.GGUF, errors);
        if (!phi && tensors.containsKey(WeightNames.GGUF.name(WeightNames.Role.ATTN_NORM_BIAS, 0))) {
            throw new GgufFormatException(file, WeightNames.GGUF.name(WeightNames.Role.ATTN_NORM_BIAS, 0),
                    "norm biases are not part of the " + arch + " block", -1);
        }
        Map<String, Object> meta = new LinkedHashMap<>();
        meta.put("gguf.version", gguf.version());
        meta.put("gguf.alignment", gguf.alignment());
        md.entries().forEach((k, v) -> meta.put(Printable.escape(k), GgufMetadata.describe(v)));
        return new LoadedModel(file, config, weights, tokenizer, new ArrayList<>(tensors.values()), meta, arena);
    }

    /** Refuses {@code <arch>.*} keys that this loader does not read (they could change the computation). */
    private static void checkKeys(Path file, GgufMetadata md, String arch) throws GgufFormatException {
        String prefix = arch + ".";
        for (String key : md.entries().keySet()) {
            if (!key.startsWith(prefix) || key.startsWith(prefix + "rope.")) {
                continue;
            }
            String field = key.substring(prefix.length());
            if (!KNOWN_KEYS.contains(field)) {
                throw new GgufFormatException(file, key, "is not supported (value "
                        + GgufMetadata.describe(md.entries().get(key)) + "): this runtime cannot honour it", -1);
            }
            if (field.startsWith("expert_") && md.integer(key, 0, Integer.MAX_VALUE) != 0) {
                throw new GgufFormatException(file, key, "mixture-of-experts models are not supported", -1);
            }
        }
    }
}

package dev.hyperattention4j.llm.format.gguf;

import dev.hyperattention4j.llm.format.io.FormatErrors;
import dev.hyperattention4j.llm.format.io.MappedFile;
import dev.hyperattention4j.llm.model.BoundWeights;
import dev.hyperattention4j.llm.model.LoadedModel;
import dev.hyperattention4j.llm.model.ModelConfig;
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
 * Loads a GGUF model of the Llama family ({@code general.architecture} llama, mistral or qwen2) with its embedded
 * tokenizer. Quantised tensors stay packed in the mapping. RoPE: llama.cpp's converter permutes Llama/Mistral Q/K
 * rows into the interleaved order, so those use {@link RopeStyle#INTERLEAVED}; Qwen2 is not permuted and runs
 * llama.cpp's NEOX rope, which is {@link RopeStyle#ROTATE_HALF}.
 */
public final class GgufLoader {
    private static final Set<String> SUPPORTED = Set.of("llama", "mistral", "qwen2");

    private GgufLoader() {}

    public static LoadedModel open(Path file) throws IOException {
        Arena arena = Arena.ofShared();
        try {
            MemorySegment data = MappedFile.map(file, arena);
            GgufFile gguf = GgufFile.parse(file, data);
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
            int headDim = (int) md.integer(arch + ".attention.key_length", 1, 1024, dim / heads);
            if (heads % kvHeads != 0) {
                throw new GgufFormatException(file, arch + ".attention.head_count_kv", "head_count " + heads
                        + " is not a multiple of head_count_kv " + kvHeads, -1);
            }
            long ropeDims = md.integer(arch + ".rope.dimension_count", 1, 1024, headDim);
            if (ropeDims != headDim) {
                throw new GgufFormatException(file, arch + ".rope.dimension_count", "partial rotary embedding ("
                        + ropeDims + " of " + headDim + " dims) is not supported", -1);
            }
            WeightTensor embedding = tensors.get(WeightNames.GGUF.tokenEmbedding());
            if (embedding == null) {
                throw new GgufFormatException(file, WeightNames.GGUF.tokenEmbedding(), "required tensor is missing",
                        -1);
            }
            int vocab = (int) md.integer(arch + ".vocab_size", 1, 1 << 22, embedding.shape()[0]);
            BpeTokenizer tokenizer = GgufTokenizers.build(file, md);
            boolean tied = !tensors.containsKey(WeightNames.GGUF.output());
            boolean bias = tensors.containsKey(WeightNames.layer(WeightNames.GGUF.bq(), 0));
            ModelConfig config;
            try {
                config = new ModelConfig("gguf", arch, dim,
                        (int) md.integer(arch + ".feed_forward_length", 1, 1 << 18),
                        (int) md.integer(arch + ".block_count", 1, 1024), heads, kvHeads, headDim, vocab,
                        (int) md.integer(arch + ".context_length", 1, Integer.MAX_VALUE, 2048),
                        (float) md.number(arch + ".attention.layer_norm_rms_epsilon", 1e-5),
                        (float) md.number(arch + ".rope.freq_base", 10000.0),
                        arch.equals("qwen2") ? RopeStyle.ROTATE_HALF : RopeStyle.INTERLEAVED, tied, bias,
                        tokenizer.bosId(), tokenizer.eosId());
            } catch (IllegalArgumentException e) {
                throw new GgufFormatException(file, "metadata", e.getMessage(), -1);
            }
            if (tokenizer.vocabSize() > vocab) {
                throw new GgufFormatException(file, "tokenizer.ggml.tokens", tokenizer.vocabSize()
                        + " tokens but only " + vocab + " embedding rows", -1);
            }
            BoundWeights weights = BoundWeights.bind(config, tensors, WeightNames.GGUF, errors);
            Map<String, Object> meta = new LinkedHashMap<>();
            meta.put("gguf.version", gguf.version());
            meta.put("gguf.alignment", gguf.alignment());
            md.entries().forEach((k, v) -> meta.put(k, GgufMetadata.describe(v)));
            return new LoadedModel(file, config, weights, tokenizer, new ArrayList<>(tensors.values()), meta, arena);
        } catch (IOException | RuntimeException e) {
            arena.close();
            throw e;
        }
    }
}

package dev.hyperattention4j.llm.format.safetensors;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hyperattention4j.llm.format.io.FormatErrors;
import dev.hyperattention4j.llm.format.io.MappedFile;
import dev.hyperattention4j.llm.model.BoundWeights;
import dev.hyperattention4j.llm.model.LoadedModel;
import dev.hyperattention4j.llm.model.ModelConfig;
import dev.hyperattention4j.llm.model.WeightNames;
import dev.hyperattention4j.llm.model.WeightTensor;
import dev.hyperattention4j.llm.tokenizer.BpeTokenizer;
import dev.hyperattention4j.llm.tokenizer.HfTokenizerJson;
import dev.hyperattention4j.llm.tokenizer.SentencePieceModel;
import dev.hyperattention4j.llm.tokenizer.Tokenizer;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Loads a Hugging Face checkpoint: {@code model.safetensors}, or the shards listed by
 * {@code model.safetensors.index.json} ({@code weight_map: tensor → shard file}), with {@code config.json} and
 * {@code tokenizer.json} from the same directory. All shards are mapped into the model's one arena.
 */
public final class SafetensorsLoader {

    private SafetensorsLoader() {}

    /** {@code file} is a .safetensors file or a shard index. */
    public static LoadedModel open(Path file, boolean isIndex) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        Arena arena = Arena.ofShared();
        try {
            Map<String, WeightTensor> tensors = isIndex ? readSharded(file, dir, arena) : readSingle(file, arena);
            FormatErrors errors = (field, problem, offset) -> new SafetensorsFormatException(file, field, problem,
                    offset);
            HfConfig.Parsed parsed = HfConfig.read(dir.resolve("config.json"), false);
            WeightNames names = parsed.names();
            if (!tensors.containsKey(names.output()) || !tensors.containsKey(names.tokenEmbedding())) {
                parsed = HfConfig.read(dir.resolve("config.json"), true); // only one head: tied
            }
            ModelConfig config = parsed.config();
            BoundWeights weights = BoundWeights.bind(config, tensors, names, errors);
            Tokenizer tokenizer;
            if (config.architecture().equals("chatglm") && !Files.exists(dir.resolve("tokenizer.json"))) {
                // ChatGLM ships a SentencePiece model and Python tokenizer code instead of a tokenizer.json
                Path spm = dir.resolve("tokenizer.model");
                BpeTokenizer glm = SentencePieceModel.read(spm).chatglm(spm, config.eosId());
                if (glm.vocabSize() > config.vocabSize()) {
                    throw new SafetensorsFormatException(spm, "tokenizer.model", glm.vocabSize() + " tokens (with "
                            + "ChatGLM's specials) but only " + config.vocabSize() + " embedding rows", -1);
                }
                tokenizer = glm;
            } else {
                tokenizer = HfTokenizerJson.read(dir.resolve("tokenizer.json"), config.bosId(), config.eosId(),
                        parsed.eosIds(), config.vocabSize());
            }
            if (config.bosId() < 0 || config.eosId() < 0) { // config.json may leave them to the tokenizer
                config = config.withSpecialIds(tokenizer.bosId(), tokenizer.eosId());
            }
            return new LoadedModel(file, config, weights, tokenizer, new ArrayList<>(tensors.values()),
                    parsed.fields(), arena);
        } catch (IOException | RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    private static Map<String, WeightTensor> readSingle(Path file, Arena arena) throws IOException {
        MemorySegment data = MappedFile.map(file, arena);
        return SafetensorsFile.parse(file, data).tensors();
    }

    private static Map<String, WeightTensor> readSharded(Path index, Path dir, Arena arena) throws IOException {
        JsonNode root = JsonFile.read(index, "index", 64 << 20);
        JsonNode map = root == null ? null : root.get("weight_map");
        if (map == null || !map.isObject() || map.isEmpty()) {
            throw new SafetensorsFormatException(index, "weight_map", "is missing or empty", -1);
        }
        Map<String, SafetensorsFile> shards = new HashMap<>();
        Map<String, WeightTensor> tensors = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = map.properties().iterator(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String shardName = e.getValue().asText("");
            Path shard = dir.resolve(shardName).normalize();
            if (shardName.isEmpty() || shard.getParent() == null || !shard.getParent().equals(dir.normalize())) {
                throw new SafetensorsFormatException(index, "weight_map." + e.getKey(), "shard name '" + shardName
                        + "' is not a file in the model directory", -1);
            }
            SafetensorsFile parsed = shards.get(shardName);
            if (parsed == null) {
                if (!Files.isRegularFile(shard)) {
                    throw new SafetensorsFormatException(index, "weight_map." + e.getKey(), "shard " + shard
                            + (Files.exists(shard) ? " is not a regular file" : " does not exist"), -1);
                }
                parsed = SafetensorsFile.parse(shard, MappedFile.map(shard, arena));
                shards.put(shardName, parsed);
            }
            WeightTensor t = parsed.tensors().get(e.getKey());
            if (t == null) {
                throw new SafetensorsFormatException(shard, e.getKey(), "is listed in the index but not in the shard",
                        -1);
            }
            tensors.put(e.getKey(), t);
        }
        return tensors;
    }
}

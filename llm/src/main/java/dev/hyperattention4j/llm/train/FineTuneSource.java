package dev.hyperattention4j.llm.train;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hyperattention4j.llm.format.io.Json;
import dev.hyperattention4j.llm.format.safetensors.HfConfigWriter;
import dev.hyperattention4j.llm.model.Model;
import dev.hyperattention4j.llm.model.ModelConfig;
import dev.hyperattention4j.llm.model.ModelLoader;
import dev.hyperattention4j.llm.model.RopeRows;
import dev.hyperattention4j.llm.model.RopeStyle;
import dev.hyperattention4j.llm.tokenizer.BpeTokenizer;
import dev.hyperattention4j.llm.tokenizer.HfTokenizerJson;
import dev.hyperattention4j.llm.tokenizer.HfTokenizerJsonWriter;
import dev.hyperattention4j.llm.tokenizer.Tokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.UnaryOperator;

/**
 * A model to fine-tune, from any file the runtime loads (a Hugging Face directory, GGUF of any tensor type,
 * llama2.c), in the form training and its checkpoints use: float32 parameters in Hugging Face's layout (Q/K rows
 * of interleaved-RoPE sources permuted to rotate-half, {@link RopeRows}), the configuration {@code config.json}
 * will hold, and the vocabulary as a {@code tokenizer.json} (the source's own file for Hugging Face models, else
 * written by {@link HfTokenizerJsonWriter}) with the tokenizer read back from that JSON, so training tokenises
 * exactly as the checkpoints will.
 *
 * @param parameters    the weights, dequantized to float32
 * @param tokenizer     the tokenizer read back from {@code tokenizerJson}
 * @param tokenizerJson the tokenizer.json to store in checkpoints
 */
public record FineTuneSource(LlamaParameters parameters, Tokenizer tokenizer, JsonNode tokenizerJson) {
    /**
     * @param model     the model file or directory
     * @param tokenizer llama2.c's tokenizer.bin (null: next to the checkpoint); refused for other formats
     * @param adjust    changes to the configuration before the parameters are shaped (RoPE scaling, context)
     */
    public static FineTuneSource open(Path model, Path tokenizer, UnaryOperator<ModelConfig> adjust)
            throws IOException {
        try (Model m = ModelLoader.open(model, tokenizer)) {
            ModelConfig src = m.config();
            if (tokenizer != null && !src.format().equals("llama2c")) {
                throw new IllegalArgumentException("--tokenizer " + tokenizer + ": a " + src.format() + " model "
                        + "carries its tokenizer; a separate tokenizer file applies only to llama2.c checkpoints");
            }
            try {
                LlamaParameters.checkSupported(src);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(model + ": " + e.getMessage(), e);
            }
            JsonNode json;
            if (src.format().equals("safetensors")) {
                Path dir = Files.isDirectory(model) ? model : model.toAbsolutePath().getParent();
                Path tj = dir.resolve("tokenizer.json");
                if (!Files.isRegularFile(tj)) {
                    throw new IllegalArgumentException(model + ": fine-tuning a Hugging Face model needs its "
                            + "tokenizer.json (the checkpoints carry it)");
                }
                json = Json.MAPPER.readTree(tj.toFile());
            } else if (m.tokenizer() instanceof BpeTokenizer bpe) {
                json = HfTokenizerJsonWriter.write(bpe, model);
            } else {
                throw new IllegalArgumentException(model + ": its " + m.tokenizer().kind() + " tokenizer has no "
                        + "tokenizer.json export");
            }
            Tokenizer back = readBack(json, src, m.tokenizer());
            ModelConfig c = adjust.apply(hfConfig(src, back));
            try {
                HfConfigWriter.toJson(c, "float32");   // refuses, before any work, what a checkpoint cannot hold
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(model + ": cannot be fine-tuned into a Hugging Face "
                        + "checkpoint (" + e.getMessage() + ")", e);
            }
            LlamaParameters p = LlamaParameters.of(c, m.weights());
            if (src.ropeStyle() == RopeStyle.INTERLEAVED) {
                for (int l = 0; l < c.layers(); l++) {
                    LlamaParameters.Layer y = p.layer(l);
                    RopeRows.toRotateHalf(y.wq(), c.heads(), c.headDim(), c.rotaryDims(), c.dim());
                    RopeRows.toRotateHalf(y.wk(), c.kvHeads(), c.headDim(), c.rotaryDims(), c.dim());
                    if (y.bq() != null) {
                        RopeRows.toRotateHalf(y.bq(), c.heads(), c.headDim(), c.rotaryDims(), 1);
                        RopeRows.toRotateHalf(y.bk(), c.kvHeads(), c.headDim(), c.rotaryDims(), 1);
                    }
                }
            }
            return new FineTuneSource(p, back, json);
        }
    }

    /**
     * The source's configuration as a Hugging Face checkpoint states it: rotate-half RoPE, and no BOS id when the
     * tokenizer adds none (a Hugging Face loader reading config.json would otherwise put BOS in front of the text).
     */
    private static ModelConfig hfConfig(ModelConfig s, Tokenizer tok) {
        int bos = tok.addsBos() ? s.bosId() : -1;
        return new ModelConfig(s.format(), s.architecture(), s.dim(), s.hiddenDim(), s.layers(), s.heads(),
                s.kvHeads(), s.headDim(), s.vocabSize(), s.contextLength(), s.normEps(), s.ropeTheta(),
                RopeStyle.ROTATE_HALF, s.tiedEmbeddings(), s.attentionBias(), bos, s.eosId(), s.block(),
                s.rotaryDims(), s.ropeScaling(), s.slidingWindow());
    }

    /** The tokenizer a checkpoint with {@code json} will load (the runtime's own tokenizer.json reader). */
    private static Tokenizer readBack(JsonNode json, ModelConfig src, Tokenizer original) throws IOException {
        Path tmp = Files.createTempFile("ha4j-tokenizer", ".json");
        try {
            Json.MAPPER.writeValue(tmp.toFile(), json);
            int bos = original.addsBos() ? src.bosId() : -1;
            return HfTokenizerJson.read(tmp, bos, src.eosId(), src.vocabSize());
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}

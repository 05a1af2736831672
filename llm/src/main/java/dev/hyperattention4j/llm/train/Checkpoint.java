package dev.hyperattention4j.llm.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hyperattention4j.llm.format.io.Json;
import dev.hyperattention4j.llm.format.io.MappedFile;
import dev.hyperattention4j.llm.format.safetensors.HfConfigWriter;
import dev.hyperattention4j.llm.format.safetensors.SafetensorsFile;
import dev.hyperattention4j.llm.format.safetensors.SafetensorsWriter;
import dev.hyperattention4j.llm.model.Model;
import dev.hyperattention4j.llm.model.ModelLoader;
import dev.hyperattention4j.llm.model.WeightTensor;
import dev.hyperattention4j.llm.runtime.Dequant;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A training checkpoint in the Hugging Face layout: {@code model.safetensors} (float32 weights under transformers'
 * names), {@code config.json} and {@code tokenizer.json}, which any model loader reads as an ordinary model (this
 * runtime's too), plus what resuming needs: {@code optimizer.safetensors} (AdamW's moments as {@code m.<name>} and
 * {@code v.<name>}) and {@code trainer_state.json} (the step and the run's settings, as the caller records them). A
 * checkpoint is written into a temporary directory and renamed into place, so an interrupted save never leaves a
 * half-written checkpoint under its final name.
 */
public final class Checkpoint {
    public static final String WEIGHTS = "model.safetensors", CONFIG = "config.json", TOKENIZER = "tokenizer.json",
            OPTIMIZER = "optimizer.safetensors", STATE = "trainer_state.json";

    private Checkpoint() {
    }

    /** What {@link #load} restores. */
    public record Loaded(LlamaParameters parameters, AdamW optimizer, long step, JsonNode state) {
    }

    /**
     * Writes a checkpoint directory {@code dir} (replacing one of that name).
     *
     * @param tokenizer the tokenizer.json to store with the weights
     * @param state     the run's settings and history; {@code step} is added
     */
    public static void save(Path dir, LlamaParameters p, AdamW optimizer, long step, JsonNode tokenizer,
                            ObjectNode state) throws IOException {
        Path parent = dir.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        Path tmp = parent.resolve("." + dir.getFileName() + ".partial");
        deleteTree(tmp);
        Files.createDirectories(tmp);
        SafetensorsWriter weights = new SafetensorsWriter(Map.of("format", "pt"));
        for (LlamaParameters.Tensor t : p.tensors()) {
            weights.add(t.name(), t.shape(), t.data(), SafetensorsWriter.Encoding.F32);
        }
        weights.write(tmp.resolve(WEIGHTS));
        Json.MAPPER.writerWithDefaultPrettyPrinter().writeValue(tmp.resolve(CONFIG).toFile(),
                HfConfigWriter.toJson(p.config(), "float32"));
        Json.MAPPER.writeValue(tmp.resolve(TOKENIZER).toFile(), tokenizer);
        SafetensorsWriter moments = new SafetensorsWriter(Map.of("format", "ha4j-adamw"));
        List<LlamaParameters.Tensor> m = optimizer.firstMoment().tensors(), v = optimizer.secondMoment().tensors();
        for (int i = 0; i < m.size(); i++) {
            moments.add("m." + m.get(i).name(), m.get(i).shape(), m.get(i).data(), SafetensorsWriter.Encoding.F32);
            moments.add("v." + v.get(i).name(), v.get(i).shape(), v.get(i).data(), SafetensorsWriter.Encoding.F32);
        }
        moments.write(tmp.resolve(OPTIMIZER));
        ObjectNode s = state.deepCopy();
        s.put("step", step);
        Json.MAPPER.writerWithDefaultPrettyPrinter().writeValue(tmp.resolve(STATE).toFile(), s);
        Path old = parent.resolve("." + dir.getFileName() + ".old");
        deleteTree(old);
        if (Files.exists(dir)) {
            Files.move(dir, old, StandardCopyOption.ATOMIC_MOVE);
        }
        Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
        deleteTree(old);
    }

    /** Reads a checkpoint back: the weights through the runtime's own loader, the moments and the state. */
    public static Loaded load(Path dir, AdamW.Settings adam) throws IOException {
        for (String f : new String[] {WEIGHTS, CONFIG, TOKENIZER, OPTIMIZER, STATE}) {
            if (!Files.isRegularFile(dir.resolve(f))) {
                throw new IOException("checkpoint " + dir + " has no " + f + " (not a directory written by ha4j train)");
            }
        }
        LlamaParameters p;
        try (Model model = ModelLoader.open(dir.resolve(WEIGHTS))) {
            p = LlamaParameters.of(model.config(), model.weights());
        }
        LlamaParameters m = p.zerosLike(), v = p.zerosLike();
        try (Arena arena = Arena.ofConfined()) {
            Path file = dir.resolve(OPTIMIZER);
            Map<String, WeightTensor> ts = SafetensorsFile.parse(file, MappedFile.map(file, arena)).tensors();
            for (int i = 0; i < p.tensors().size(); i++) {
                readMoment(file, ts, "m." + p.tensors().get(i).name(), m.tensors().get(i).data());
                readMoment(file, ts, "v." + p.tensors().get(i).name(), v.tensors().get(i).data());
            }
        }
        JsonNode state = Json.MAPPER.readTree(dir.resolve(STATE).toFile());
        JsonNode step = state.get("step");
        if (step == null || !step.canConvertToLong() || step.asLong() < 0) {
            throw new IOException(dir.resolve(STATE) + ": field step is missing or not a non-negative integer");
        }
        return new Loaded(p, new AdamW(adam, m, v), step.asLong(), state);
    }

    private static void readMoment(Path file, Map<String, WeightTensor> ts, String name, float[] dst)
            throws IOException {
        WeightTensor t = ts.get(name);
        if (t == null || t.elementCount() != dst.length) {
            throw new IOException(file + ": tensor " + name + (t == null ? " is missing" : " has " + t.elementCount()
                    + " values, expected " + dst.length));
        }
        System.arraycopy(Dequant.all(t), 0, dst, 0, dst.length);
    }

    private static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(p)) {
            for (Path q : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(q);
            }
        }
    }
}

package dev.hyperattention4j.llm.testing;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hyperattention4j.llm.format.io.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reads one folder of {@code ../shared/goldens/} (see its README): the model files, token ids, the reference
 * runtime's logits ({@code .npy}), greedy ids with their margins and perplexities. When the shared data is absent the
 * test is skipped visibly ({@link SharedData#require}); every file of a present folder must exist and parse, so a
 * case that cannot run fails.
 */
public final class Goldens {
    private final Path dir;

    private Goldens(Path dir) {
        this.dir = dir;
    }

    public static Goldens folder(String name) {
        return new Goldens(SharedData.require("goldens/" + name));
    }

    public Path dir() { return dir; }

    public Path model(String type) throws IOException { return existing("model-" + type + ".gguf"); }

    public String text() throws IOException { return Files.readString(existing("text.txt")); }

    /** The token ids of text.txt and whether BOS was added. */
    public record Tokens(int[] ids, boolean addBos, int bos) {}

    public Tokens tokens() throws IOException {
        JsonNode n = json("tokens.json");
        return new Tokens(ints(n.get("tokens")), n.get("add_bos").asBoolean(), n.path("bos").asInt(-1));
    }

    /** Greedy ids after the prompt with each step's top-1 minus top-2 margin. */
    public record Greedy(int promptTokens, int[] ids, double[] margins) {}

    public Greedy greedy(String type) throws IOException {
        JsonNode n = json("greedy-" + type + ".json");
        JsonNode m = n.get("top1_minus_top2");
        double[] margins = new double[m.size()];
        for (int i = 0; i < margins.length; i++) {
            margins[i] = m.get(i).asDouble();
        }
        return new Greedy(n.get("prompt_tokens").asInt(), ints(n.get("ids")), margins);
    }

    /** The perplexity of {@code type} under protocol {@code key} ("c128x4", "c2048x1"), or NaN when absent. */
    public double ppl(String type, String key) throws IOException {
        JsonNode n = json("ppl.json").path("results").path(type).path(key).path("ppl");
        return n.isNumber() ? n.asDouble() : Double.NaN;
    }

    /** The reference logits of {@code type} (rows as the folder's README lists them). */
    public Npy.Matrix logits(String type) throws IOException {
        return Npy.read(existing("logits-" + type + ".npy"));
    }

    private JsonNode json(String name) throws IOException {
        return Json.MAPPER.readTree(existing(name).toFile());
    }

    private Path existing(String name) throws IOException {
        Path p = dir.resolve(name);
        if (!Files.isRegularFile(p)) {
            throw new IOException("golden file " + p + " is missing");
        }
        return p;
    }

    private static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asInt();
        }
        return out;
    }
}

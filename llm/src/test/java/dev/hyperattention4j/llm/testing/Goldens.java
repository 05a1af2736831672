package dev.hyperattention4j.llm.testing;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hyperattention4j.llm.format.io.Json;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

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

    /** A float32 matrix from a {@code .npy} file. */
    public record Matrix(int rows, int cols, float[] data) {
        public float get(int r, int c) { return data[r * cols + c]; }
    }

    public Matrix logits(String type) throws IOException {
        return npy(existing("logits-" + type + ".npy"));
    }

    private static final Pattern DESCR = Pattern.compile("'descr':\\s*'([^']*)'");
    private static final Pattern SHAPE = Pattern.compile("'shape':\\s*\\((\\d+),\\s*(\\d+)\\)");
    private static final Pattern ORDER = Pattern.compile("'fortran_order':\\s*(True|False)");

    /** numpy's format 1.0/2.0: magic, version, header length, a Python dict literal, then the raw data. */
    public static Matrix npy(Path file) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        if (b.get() != (byte) 0x93 || b.get() != 'N' || b.get() != 'U' || b.get() != 'M' || b.get() != 'P'
                || b.get() != 'Y') {
            throw new IOException(file + ": not an .npy file");
        }
        int major = b.get();
        b.get();
        int headerLength = major == 1 ? Short.toUnsignedInt(b.getShort()) : b.getInt();
        byte[] h = new byte[headerLength];
        b.get(h);
        String header = new String(h, java.nio.charset.StandardCharsets.ISO_8859_1);
        Matcher d = DESCR.matcher(header), s = SHAPE.matcher(header), o = ORDER.matcher(header);
        if (!d.find() || !d.group(1).equals("<f4") || !s.find() || !o.find() || o.group(1).equals("True")) {
            throw new IOException(file + ": expected a C-order little-endian float32 matrix, header " + header);
        }
        int rows = Integer.parseInt(s.group(1)), cols = Integer.parseInt(s.group(2));
        float[] data = new float[rows * cols];
        b.asFloatBuffer().get(data);
        return new Matrix(rows, cols, data);
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

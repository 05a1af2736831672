package dev.hyperattention4j.llm.quantize;

import dev.hyperattention4j.llm.format.gguf.GgufFile;
import dev.hyperattention4j.llm.format.gguf.GgufMetadata;
import dev.hyperattention4j.llm.format.gguf.GgufWriter;
import dev.hyperattention4j.llm.format.io.MappedFile;
import dev.hyperattention4j.llm.model.DType;
import dev.hyperattention4j.llm.model.LlamaWeights;
import dev.hyperattention4j.llm.model.LoadedModel;
import dev.hyperattention4j.llm.model.Model;
import dev.hyperattention4j.llm.model.ModelConfig;
import dev.hyperattention4j.llm.model.RopeStyle;
import dev.hyperattention4j.llm.model.WeightNames;
import dev.hyperattention4j.llm.model.WeightTensor;
import dev.hyperattention4j.llm.runtime.Dequant;
import dev.hyperattention4j.llm.tokenizer.BpeTokenizer;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * Converts an opened model (any format the runtime reads) to a GGUF file of a {@link QuantPreset}, as the GGUF
 * ecosystem's converter and quantiser together would write it. A GGUF source keeps its metadata and tensor names
 * (any architecture the runtime reads; only the tensor types change). Other sources (safetensors, llama2.c) of the
 * Llama layout are written with:
 * <ul>
 *   <li>{@code general.architecture} {@code llama} (Llama, Mistral, SmolLM, llama2.c) or {@code qwen2}, the
 *       {@code <arch>.*} hyper-parameters, {@code general.file_type} (the preset's number),
 *       {@code general.quantization_version} 2, alignment 32;</li>
 *   <li>the tokenizer written from the loaded vocabulary ({@link GgufTokenizerKeys});</li>
 *   <li>tensors under GGUF names, each in the type {@link QuantPreset#typeOf} gives; Q and K rows of a
 *       {@code llama} model in adjacent-pair RoPE order (rows of a rotate-half source, such as Hugging Face
 *       checkpoints, are permuted; a GGUF llama source already is in that order), qwen2 unpermuted.</li>
 * </ul>
 * Tensors are decoded and re-encoded a batch of rows at a time (rows in parallel), so memory stays at a few rows
 * per thread, whatever the model's size. Re-quantising an already quantised source compounds both errors.
 */
public final class ModelQuantizer {
    /** Receives progress: tensors done, their total, and the name of the tensor just written. */
    @FunctionalInterface
    public interface Progress {
        void update(int done, int total, String tensor);
    }

    /** One tensor as written. */
    public record Entry(String name, DType type, long[] shape) {}

    private static final int ROWS_PER_BATCH = 64;

    private ModelQuantizer() {}

    /** Writes {@code model} as {@code out} in the given preset; returns the tensors written. */
    public static List<Entry> quantize(Model model, QuantPreset preset, Path out, Progress progress)
            throws IOException {
        if (model.config().format().equals("gguf") && model instanceof LoadedModel loaded) {
            return requantizeGguf(loaded, preset, out, progress);
        }
        ModelConfig c = model.config();
        refuseWhatLlamaKeysCannotHold(c);
        String arch = c.architecture().equals("qwen2") ? "qwen2" : "llama";
        RopeStyle target = arch.equals("qwen2") ? RopeStyle.ROTATE_HALF : RopeStyle.INTERLEAVED;
        if (c.attentionBias() && !arch.equals("qwen2")) {
            throw new IllegalArgumentException("a " + c.architecture() + " model with q/k/v biases cannot be "
                    + "written as GGUF 'llama' (only qwen2 carries those biases)");
        }
        GgufWriter w = new GgufWriter();
        w.putString("general.architecture", arch);
        w.putString("general.type", "model");
        w.putString("general.name", name(model));
        w.putHyperparameters(arch, c);
        if (c.headDim() != c.dim() / c.heads()) {
            w.putUInt32(arch + ".attention.key_length", c.headDim());
            w.putUInt32(arch + ".attention.value_length", c.headDim());
        }
        w.putUInt32("general.file_type", preset.fileType());
        w.putUInt32(arch + ".vocab_size", c.vocabSize());
        w.putUInt32(arch + ".rope.dimension_count", c.headDim());
        w.putUInt32("general.quantization_version", 2);
        writeTokenizer(model, w, arch);

        LlamaWeights lw = model.weights();
        WeightNames n = WeightNames.GGUF;
        boolean permute = c.ropeStyle() != target;
        int group = c.heads() / c.kvHeads();
        List<Object[]> plan = new ArrayList<>(); // name, tensor, heads to permute (0: none)
        plan.add(new Object[] {n.tokenEmbedding(), lw.tokenEmbedding(), 0});
        for (int l = 0; l < c.layers(); l++) {
            plan.add(new Object[] {WeightNames.layer(n.attentionNorm(), l), lw.attentionNorm(l), 0});
            plan.add(new Object[] {WeightNames.layer(n.wq(), l), lw.wq(l), permute ? c.heads() : 0});
            plan.add(new Object[] {WeightNames.layer(n.wk(), l), lw.wk(l), permute ? c.kvHeads() : 0});
            plan.add(new Object[] {WeightNames.layer(n.wv(), l), lw.wv(l), 0});
            if (c.attentionBias()) {
                plan.add(new Object[] {WeightNames.layer(n.bq(), l), lw.bq(l), permute ? c.heads() : 0});
                plan.add(new Object[] {WeightNames.layer(n.bk(), l), lw.bk(l), permute ? c.kvHeads() : 0});
                plan.add(new Object[] {WeightNames.layer(n.bv(), l), lw.bv(l), 0});
            }
            plan.add(new Object[] {WeightNames.layer(n.wo(), l), lw.wo(l), 0});
            plan.add(new Object[] {WeightNames.layer(n.ffnNorm(), l), lw.ffnNorm(l), 0});
            plan.add(new Object[] {WeightNames.layer(n.ffnGate(), l), lw.ffnGate(l), 0});
            plan.add(new Object[] {WeightNames.layer(n.ffnDown(), l), lw.ffnDown(l), 0});
            plan.add(new Object[] {WeightNames.layer(n.ffnUp(), l), lw.ffnUp(l), 0});
        }
        plan.add(new Object[] {n.finalNorm(), lw.finalNorm(), 0});
        if (!c.tiedEmbeddings()) {
            plan.add(new Object[] {n.output(), lw.output(), 0});
        }
        return addAndWrite(w, plan, preset, c.layers(), group, c.tiedEmbeddings(), out, progress);
    }

    /**
     * A GGUF source: every metadata key is kept (architecture-specific keys such as RoPE scaling, chat templates,
     * tokenizer), except the ones that describe the encoding, and every tensor is re-encoded under its own name in
     * the preset's type for that name. Row order is kept: the source is already in the ecosystem's convention.
     */
    private static List<Entry> requantizeGguf(LoadedModel model, QuantPreset preset, Path out, Progress progress)
            throws IOException {
        ModelConfig c = model.config();
        GgufWriter w = new GgufWriter();
        Map<String, WeightTensor> byName = new java.util.LinkedHashMap<>();
        for (WeightTensor t : model.tensors()) {
            byName.put(t.name(), t);
        }
        try (Arena arena = Arena.ofConfined()) {
            GgufFile source = GgufFile.parse(model.source(), MappedFile.map(model.source(), arena));
            for (Map.Entry<String, GgufMetadata.Entry> e : source.metadata().entries().entrySet()) {
                switch (e.getKey()) {
                    case "general.alignment", "general.file_type", "general.quantization_version" -> { }
                    default -> w.putEntry(e.getKey(), e.getValue());
                }
            }
        }
        w.putUInt32("general.file_type", preset.fileType());
        w.putUInt32("general.quantization_version", 2);
        List<Object[]> plan = new ArrayList<>();
        for (WeightTensor t : byName.values()) {
            plan.add(new Object[] {t.name(), t, 0});
        }
        boolean tied = !byName.containsKey(WeightNames.GGUF.output());
        return addAndWrite(w, plan, preset, c.layers(), c.heads() / c.kvHeads(), tied, out, progress);
    }

    /** Non-GGUF sources are written as GGUF llama/qwen2: only what those keys describe can be converted. */
    private static void refuseWhatLlamaKeysCannotHold(ModelConfig c) {
        String problem = null;
        if (!c.block().equals(dev.hyperattention4j.llm.model.BlockLayout.LLAMA)) {
            problem = "its block layout " + c.block() + " is not Llama's (RMSNorm, SwiGLU, sequential residual)";
        } else if (c.rotaryDims() != c.headDim()) {
            problem = "partial rotary embeddings (" + c.rotaryDims() + " of " + c.headDim() + " dims)";
        } else if (c.ropeScaling().type() != dev.hyperattention4j.llm.model.RopeScaling.Type.NONE) {
            problem = "RoPE scaling " + c.ropeScaling().type();
        } else if (c.slidingWindow() > 0 && c.slidingWindow() < c.contextLength()) {
            problem = "a sliding attention window of " + c.slidingWindow();
        }
        if (problem != null) {
            throw new IllegalArgumentException("quantize cannot yet write a " + c.format() + " " + c.architecture()
                    + " model as GGUF: " + problem + " (GGUF sources of any architecture the runtime reads are"
                    + " supported)");
        }
    }

    private static List<Entry> addAndWrite(GgufWriter w, List<Object[]> plan, QuantPreset preset, int layers,
                                           int group, boolean tied, Path out, Progress progress) throws IOException {
        List<Entry> written = new ArrayList<>();
        int[] done = {0};
        for (Object[] p : plan) {
            String name = (String) p[0];
            WeightTensor t = (WeightTensor) p[1];
            int heads = (Integer) p[2];
            DType type = preset.typeOf(name, t.shape(), layers, group, tied);
            written.add(new Entry(name, type, t.shape().clone()));
            w.addTensor(name, type, t.shape(), os -> {
                encodeTensor(t, type, heads, os);
                done[0]++;
                if (progress != null) {
                    progress.update(done[0], plan.size(), name);
                }
            });
        }
        w.write(out);
        return written;
    }

    /** Decodes, permutes and re-encodes one tensor, a batch of rows at a time (rows in parallel). */
    private static void encodeTensor(WeightTensor t, DType type, int permuteHeads, java.io.OutputStream os)
            throws IOException {
        int rows = t.rows(), cols = t.cols();
        if (t.shape().length == 1) { // a vector (norm, bias): permuted as a column of rows
            float[] v = Dequant.all(t);
            float[] p = new float[v.length];
            for (int r = 0; r < v.length; r++) {
                p[r] = v[sourceRow(r, v.length, permuteHeads)];
            }
            os.write(TensorEncoder.encode(p, type));
            return;
        }
        int rowBytes = Math.toIntExact(type.bytesFor(cols));
        byte[] batch = new byte[ROWS_PER_BATCH * rowBytes];
        for (int first = 0; first < rows; first += ROWS_PER_BATCH) {
            int count = Math.min(ROWS_PER_BATCH, rows - first);
            int base = first;
            IntStream.range(0, count).parallel().forEach(i -> {
                float[] row = new float[cols];
                Dequant.row(t, sourceRow(base + i, rows, permuteHeads), row, 0);
                TensorEncoder.encode(row, 0, cols, type, batch, i * rowBytes);
            });
            os.write(batch, 0, count * rowBytes);
        }
    }

    /**
     * The source row of output row r when a rotate-half Q/K matrix of {@code heads} heads is written in
     * adjacent-pair order: within a head, output row 2i + part comes from row part·headDim/2 + i, so the rotation
     * pairs (i, i + headDim/2) become (2i, 2i + 1). The inverse direction is not needed: qwen2 sources stay
     * rotate-half and llama sources are rotate-half or already adjacent-pair.
     */
    static int sourceRow(int r, int rows, int heads) {
        if (heads == 0) {
            return r;
        }
        int headDim = rows / heads;
        return r / headDim * headDim + dev.hyperattention4j.llm.model.RopeRows.rotateHalfRow(r % headDim, headDim);
    }

    private static void writeTokenizer(Model model, GgufWriter w, String arch) throws IOException {
        if (!(model.tokenizer() instanceof BpeTokenizer bpe)) {
            throw new IllegalArgumentException("the model's tokenizer (" + model.tokenizer().kind()
                    + ") cannot be written as GGUF tokenizer keys");
        }
        GgufTokenizerKeys.write(w, bpe, arch);
    }

    private static String name(Model model) {
        if (model instanceof LoadedModel loaded) {
            Path source = loaded.source().toAbsolutePath().normalize();
            // a safetensors model is named by its folder (its files are model.safetensors, config.json, ...)
            Path name = Files.isDirectory(source) || !model.config().format().equals("safetensors")
                    ? source.getFileName() : source.getParent().getFileName();
            return name == null ? "model" : name.toString();
        }
        return "model";
    }
}

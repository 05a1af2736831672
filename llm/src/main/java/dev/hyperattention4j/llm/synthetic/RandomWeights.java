package dev.hyperattention4j.llm.synthetic;

import dev.hyperattention4j.llm.model.DType;
import dev.hyperattention4j.llm.model.LlamaWeights;
import dev.hyperattention4j.llm.model.ModelConfig;
import dev.hyperattention4j.llm.model.WeightTensor;
import dev.hyperattention4j.runtime.WorkerPool;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Function;

/**
 * The weights of a model shape filled with random packed blocks, off the heap (like a mapped file): random bytes
 * with every f16 scale field set to a finite value of about {@code 1/(range·√cols)}, so activations stay finite
 * through any depth. Norm weights are 1, biases 0. The tensors carry their GGUF names, so per-tensor types can follow
 * a quantisation preset. Close it to free the memory.
 */
public final class RandomWeights implements LlamaWeights, AutoCloseable {
    /** Byte offsets of the f16 scale fields in one block, and the rough magnitude of quant × sub-scale. */
    private record Scales(int[] offsets, double range) {
    }

    private static final Map<String, Scales> SCALES = Map.ofEntries(
            Map.entry("Q8_0", new Scales(new int[] {0}, 64)), Map.entry("Q4_0", new Scales(new int[] {0}, 8)),
            Map.entry("Q4_1", new Scales(new int[] {0, 2}, 8)), Map.entry("Q5_0", new Scales(new int[] {0}, 16)),
            Map.entry("Q5_1", new Scales(new int[] {0, 2}, 16)), Map.entry("Q2_K", new Scales(new int[] {80, 82}, 24)),
            Map.entry("Q3_K", new Scales(new int[] {108}, 128)), Map.entry("Q4_K", new Scales(new int[] {0, 2}, 256)),
            Map.entry("Q5_K", new Scales(new int[] {0, 2}, 512)), Map.entry("Q6_K", new Scales(new int[] {208}, 1024)));

    private final ModelConfig config;
    private final Arena arena;
    private final Map<String, WeightTensor> tensors = new LinkedHashMap<>();

    private RandomWeights(ModelConfig config, Arena arena) {
        this.config = config;
        this.arena = arena;
    }

    /** Bytes the matrices and vectors of {@code config} take with the given per-tensor types. */
    public static long bytesNeeded(ModelConfig c, Function<String, DType> types) {
        long sum = 0;
        for (Map.Entry<String, long[]> e : shapes(c).entrySet()) {
            long[] s = e.getValue();
            sum += typeOf(e.getKey(), s, types).bytesFor(s[0] * (s.length > 1 ? s[1] : 1));
        }
        return sum;
    }

    /**
     * Builds the weights; {@code types} maps a GGUF tensor name to its type (vectors are always F32). Checks first
     * that the machine has the memory (MemAvailable on Linux) and refuses with a clear message otherwise.
     */
    public static RandomWeights create(ModelConfig c, Function<String, DType> types, long seed, WorkerPool pool) {
        long need = bytesNeeded(c, types);
        long available = availableMemory();
        if (available > 0 && need > available * 0.85) {
            throw new IllegalArgumentException(String.format("the synthetic model needs %.2f GB of memory, but only "
                    + "%.2f GB are available: choose a smaller shape or type", need / 1e9, available / 1e9));
        }
        Arena arena = Arena.ofShared();
        RandomWeights w = new RandomWeights(c, arena);
        try {
            int i = 0;
            for (Map.Entry<String, long[]> e : shapes(c).entrySet()) {
                long[] s = e.getValue();
                DType t = typeOf(e.getKey(), s, types);
                long rows = s.length > 1 ? s[0] : 1, cols = s.length > 1 ? s[1] : s[0];
                MemorySegment data = arena.allocate(t.bytesFor(rows * cols), 64);
                fill(data, t, e.getKey(), cols, seed + 7919L * i++, pool);
                w.tensors.put(e.getKey(), new WeightTensor(e.getKey(), t, s, data));
            }
        } catch (RuntimeException | Error ex) {
            arena.close();
            throw ex;
        }
        return w;
    }

    /** Tensor names and shapes in GGUF order ({@code [rows, cols]} for matrices). */
    public static Map<String, long[]> shapes(ModelConfig c) {
        Map<String, long[]> m = new LinkedHashMap<>();
        long d = c.dim(), q = (long) c.heads() * c.headDim(), kv = (long) c.kvHeads() * c.headDim();
        m.put("token_embd.weight", new long[] {c.vocabSize(), d});
        for (int l = 0; l < c.layers(); l++) {
            String b = "blk." + l + ".";
            m.put(b + "attn_norm.weight", new long[] {d});
            m.put(b + "attn_q.weight", new long[] {q, d});
            m.put(b + "attn_k.weight", new long[] {kv, d});
            m.put(b + "attn_v.weight", new long[] {kv, d});
            if (c.attentionBias()) {
                m.put(b + "attn_q.bias", new long[] {q});
                m.put(b + "attn_k.bias", new long[] {kv});
                m.put(b + "attn_v.bias", new long[] {kv});
            }
            m.put(b + "attn_output.weight", new long[] {d, q});
            m.put(b + "ffn_norm.weight", new long[] {d});
            m.put(b + "ffn_gate.weight", new long[] {c.hiddenDim(), d});
            m.put(b + "ffn_up.weight", new long[] {c.hiddenDim(), d});
            m.put(b + "ffn_down.weight", new long[] {d, c.hiddenDim()});
        }
        m.put("output_norm.weight", new long[] {d});
        if (!c.tiedEmbeddings()) {
            m.put("output.weight", new long[] {c.vocabSize(), d});
        }
        return m;
    }

    private static DType typeOf(String name, long[] shape, Function<String, DType> types) {
        if (shape.length == 1) {
            return DType.F32;
        }
        DType t = types.apply(name);
        if (shape[1] % t.blockSize() != 0) {
            throw new IllegalArgumentException("tensor " + name + " has rows of " + shape[1] + " values, not a "
                    + "multiple of the " + t + " block size " + t.blockSize());
        }
        return t;
    }

    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** Fills one tensor, in parallel pieces of whole blocks (each piece its own random stream). */
    private static void fill(MemorySegment data, DType t, String name, long cols, long seed, WorkerPool pool) {
        if (name.endsWith("norm.weight") || name.endsWith(".bias")) {
            float v = name.endsWith(".bias") ? 0f : 1f;
            for (long i = 0; i < data.byteSize(); i += 4) {
                data.set(FLOAT, i, v);
            }
            return;
        }
        long piece = Math.max(1, (1L << 24) / t.blockBytes()) * t.blockBytes();
        int pieces = (int) ((data.byteSize() + piece - 1) / piece);
        float scale = (float) (1 / Math.sqrt(cols));
        pool.run(pieces, (w, u) -> {
            long from = u * piece, to = Math.min(data.byteSize(), from + piece);
            SplittableRandom r = new SplittableRandom(seed * 1_000_003L + u);
            fillPiece(data.asSlice(from, to - from), t, scale, r);
        });
    }

    private static void fillPiece(MemorySegment s, DType t, float scale, SplittableRandom r) {
        long n = s.byteSize();
        switch (t.name()) {
            case "F32" -> {
                for (long i = 0; i < n; i += 4) {
                    s.set(FLOAT, i, (float) (r.nextGaussian() * scale));
                }
            }
            case "F16", "BF16" -> {
                // random sign and mantissa, exponent fixed near the scale: values in [scale, 2·scale)
                int e = Math.getExponent(scale);
                long pattern = t.name().equals("F16")
                        ? (long) ((e + 15) << 10) * 0x0001000100010001L   // 5-bit exponent, 10-bit mantissa
                        : (long) ((e + 127) << 7) * 0x0001000100010001L;  // 8-bit exponent, 7-bit mantissa
                long keep = t.name().equals("F16") ? 0x83ff83ff83ff83ffL : 0x807f807f807f807fL;
                long i = 0;
                for (; i + 8 <= n; i += 8) {
                    s.set(LONG, i, (r.nextLong() & keep) | pattern);
                }
                for (; i < n; i += 2) {
                    s.set(SHORT, i, (short) ((r.nextInt() & keep) | pattern));
                }
            }
            default -> {
                Scales sc = SCALES.get(t.name());
                if (sc == null) {
                    throw new IllegalArgumentException("no random block layout for type " + t);
                }
                long i = 0;
                for (; i + 8 <= n; i += 8) {
                    s.set(LONG, i, r.nextLong());
                }
                for (; i < n; i++) {
                    s.set(ValueLayout.JAVA_BYTE, i, (byte) r.nextInt());
                }
                short d = Float.floatToFloat16((float) (scale / sc.range()));
                for (long b = 0; b < n; b += t.blockBytes()) {
                    for (int off : sc.offsets()) {
                        s.set(SHORT, b + off, d);
                    }
                }
            }
        }
    }

    /** MemAvailable from /proc/meminfo in bytes, or 0 when unknown (not Linux). */
    static long availableMemory() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemAvailable:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (java.io.IOException | RuntimeException e) {
            // unknown: no check
        }
        return 0;
    }

    /** All tensors by GGUF name, in file order. */
    public Map<String, WeightTensor> tensors() { return java.util.Collections.unmodifiableMap(tensors); }

    public ModelConfig config() { return config; }

    private WeightTensor t(String name) { return tensors.get(name); }

    @Override public WeightTensor tokenEmbedding() { return t("token_embd.weight"); }
    @Override public WeightTensor attentionNorm(int l) { return t("blk." + l + ".attn_norm.weight"); }
    @Override public WeightTensor wq(int l) { return t("blk." + l + ".attn_q.weight"); }
    @Override public WeightTensor wk(int l) { return t("blk." + l + ".attn_k.weight"); }
    @Override public WeightTensor wv(int l) { return t("blk." + l + ".attn_v.weight"); }
    @Override public WeightTensor wo(int l) { return t("blk." + l + ".attn_output.weight"); }
    @Override public WeightTensor ffnNorm(int l) { return t("blk." + l + ".ffn_norm.weight"); }
    @Override public WeightTensor ffnGate(int l) { return t("blk." + l + ".ffn_gate.weight"); }
    @Override public WeightTensor ffnDown(int l) { return t("blk." + l + ".ffn_down.weight"); }
    @Override public WeightTensor ffnUp(int l) { return t("blk." + l + ".ffn_up.weight"); }
    @Override public WeightTensor finalNorm() { return t("output_norm.weight"); }
    @Override public WeightTensor output() { return config.tiedEmbeddings() ? tokenEmbedding() : t("output.weight"); }
    @Override public WeightTensor bq(int l) { return t("blk." + l + ".attn_q.bias"); }
    @Override public WeightTensor bk(int l) { return t("blk." + l + ".attn_k.bias"); }
    @Override public WeightTensor bv(int l) { return t("blk." + l + ".attn_v.bias"); }

    @Override
    public void close() {
        arena.close();
    }
}

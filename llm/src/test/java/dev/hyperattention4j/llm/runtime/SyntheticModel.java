package dev.hyperattention4j.llm.runtime;

import dev.hyperattention4j.llm.model.DType;
import dev.hyperattention4j.llm.model.LlamaWeights;
import dev.hyperattention4j.llm.model.ModelConfig;
import dev.hyperattention4j.llm.model.RopeStyle;
import dev.hyperattention4j.llm.model.WeightTensor;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;

/** Small random Llama models built in memory, plus weight encoders for every type (the
 * other quantised types through the runtime's TensorEncoder). */
final class SyntheticModel implements LlamaWeights {
    final ModelConfig config;
    final Map<String, float[]> values = new HashMap<>();
    private final Map<String, WeightTensor> tensors = new HashMap<>();

    SyntheticModel(ModelConfig config, long seed, DType matrixType, boolean bias) {
        this.config = config;
        Random r = new Random(seed);
        int d = config.dim(), qd = config.heads() * config.headDim(), kvd = config.kvHeads() * config.headDim();
        matrix("emb", config.vocabSize(), d, r, DType.F32, 1.0);
        for (int l = 0; l < config.layers(); l++) {
            vector("an" + l, d, r, 1.0);
            vector("fn" + l, d, r, 1.0);
            matrix("wq" + l, qd, d, r, matrixType, 1 / Math.sqrt(d));
            matrix("wk" + l, kvd, d, r, matrixType, 1 / Math.sqrt(d));
            matrix("wv" + l, kvd, d, r, matrixType, 1 / Math.sqrt(d));
            matrix("wo" + l, d, qd, r, matrixType, 1 / Math.sqrt(qd));
            matrix("w1" + l, config.hiddenDim(), d, r, matrixType, 1 / Math.sqrt(d));
            matrix("w3" + l, config.hiddenDim(), d, r, matrixType, 1 / Math.sqrt(d));
            matrix("w2" + l, d, config.hiddenDim(), r, matrixType, 1 / Math.sqrt(config.hiddenDim()));
            if (bias) {
                vector("bq" + l, qd, r, 0.0);
                vector("bk" + l, kvd, r, 0.0);
                vector("bv" + l, kvd, r, 0.0);
            }
        }
        vector("norm", d, r, 1.0);
        if (!config.tiedEmbeddings()) {
            matrix("out", config.vocabSize(), d, r, matrixType, 1 / Math.sqrt(d));
        }
    }

    static ModelConfig config(int dim, int hidden, int layers, int heads, int kvHeads, int vocab, RopeStyle rope,
                              boolean tied) {
        return new ModelConfig("synthetic", "llama", dim, hidden, layers, heads, kvHeads, dim / heads, vocab, 512,
                1e-5f, 10000f, rope, tied, false, 1, 2);
    }

    private void vector(String name, int n, Random r, double center) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (center + 0.1 * r.nextGaussian());
        }
        values.put(name, v);
        tensors.put(name, new WeightTensor(name, DType.F32, new long[] {n}, MemorySegment.ofArray(v.clone())));
    }

    private void matrix(String name, int rows, int cols, Random r, DType type, double std) {
        float[] v = new float[rows * cols];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (std * r.nextGaussian());
        }
        WeightTensor t = encode(name, v, rows, cols, type);
        values.put(name, Dequant.all(t));   // the reference uses exactly the values the kernels see
        tensors.put(name, t);
    }

    /** Encodes a row-major [rows][cols] matrix in the given type (blocks along rows). */
    static WeightTensor encode(String name, float[] v, int rows, int cols, DType type) {
        long[] shape = {rows, cols};
        ByteBuffer b = ByteBuffer.allocate((int) type.bytesFor((long) rows * cols)).order(ByteOrder.LITTLE_ENDIAN);
        switch (type) {
            case F32 -> {
                for (float f : v) {
                    b.putFloat(f);
                }
            }
            case F16 -> {
                for (float f : v) {
                    b.putShort(Float.floatToFloat16(f));
                }
            }
            case BF16 -> {
                for (float f : v) {
                    b.putShort((short) (Float.floatToRawIntBits(f) >>> 16));
                }
            }
            case Q8_0 -> {
                for (int blk = 0; blk < v.length / 32; blk++) {
                    float amax = 0;
                    for (int i = 0; i < 32; i++) {
                        amax = Math.max(amax, Math.abs(v[blk * 32 + i]));
                    }
                    float d = amax / 127f;
                    b.putShort(Float.floatToFloat16(d));
                    float id = d == 0 ? 0 : 1 / Float.float16ToFloat(Float.floatToFloat16(d));
                    for (int i = 0; i < 32; i++) {
                        b.put((byte) Math.round(v[blk * 32 + i] * id));
                    }
                }
            }
            case Q4_0 -> {
                for (int blk = 0; blk < v.length / 32; blk++) {
                    float max = 0;
                    for (int i = 0; i < 32; i++) {
                        float x = v[blk * 32 + i];
                        if (Math.abs(x) > Math.abs(max)) {
                            max = x;
                        }
                    }
                    float d = max / -8f;
                    b.putShort(Float.floatToFloat16(d));
                    float id = d == 0 ? 0 : 1 / Float.float16ToFloat(Float.floatToFloat16(d));
                    for (int i = 0; i < 16; i++) {
                        int lo = Math.min(15, Math.max(0, Math.round(v[blk * 32 + i] * id) + 8));
                        int hi = Math.min(15, Math.max(0, Math.round(v[blk * 32 + 16 + i] * id) + 8));
                        b.put((byte) (lo | hi << 4));
                    }
                }
            }
            default -> b.put(dev.hyperattention4j.llm.quantize.TensorEncoder.encode(v, type));
        }
        return new WeightTensor(name, type, shape, MemorySegment.ofArray(b.array()));
    }

    private WeightTensor t(String name) { return tensors.get(name); }

    @Override public WeightTensor tokenEmbedding() { return t("emb"); }
    @Override public WeightTensor attentionNorm(int l) { return t("an" + l); }
    @Override public WeightTensor wq(int l) { return t("wq" + l); }
    @Override public WeightTensor wk(int l) { return t("wk" + l); }
    @Override public WeightTensor wv(int l) { return t("wv" + l); }
    @Override public WeightTensor wo(int l) { return t("wo" + l); }
    @Override public WeightTensor ffnNorm(int l) { return t("fn" + l); }
    @Override public WeightTensor ffnGate(int l) { return t("w1" + l); }
    @Override public WeightTensor ffnDown(int l) { return t("w2" + l); }
    @Override public WeightTensor ffnUp(int l) { return t("w3" + l); }
    @Override public WeightTensor finalNorm() { return t("norm"); }
    @Override public WeightTensor output() { return config.tiedEmbeddings() ? t("emb") : t("out"); }
    @Override public WeightTensor bq(int l) { return t("bq" + l); }
    @Override public WeightTensor bk(int l) { return t("bk" + l); }
    @Override public WeightTensor bv(int l) { return t("bv" + l); }
}

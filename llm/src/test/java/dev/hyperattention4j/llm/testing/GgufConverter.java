package dev.hyperattention4j.llm.testing;

import dev.hyperattention4j.llm.format.gguf.GgufValueType;
import dev.hyperattention4j.llm.model.DType;
import dev.hyperattention4j.llm.model.LlamaWeights;
import dev.hyperattention4j.llm.model.Model;
import dev.hyperattention4j.llm.model.ModelConfig;
import dev.hyperattention4j.llm.model.RopeStyle;
import dev.hyperattention4j.llm.model.WeightNames;
import dev.hyperattention4j.llm.model.WeightTensor;
import dev.hyperattention4j.llm.tokenizer.BpeTokenizer;
import dev.hyperattention4j.llm.tokenizer.TokenType;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Converts an opened model (llama2.c or HF safetensors) to a GGUF {@code llama} file as llama.cpp's converter
 * would: llama.* keys, the tokenizer as tokenizer.ggml.* (pieces with "▁" for spaces; scores, or our ranked
 * merges for HF BPE vocabularies), matrices in {@code type} (1-D tensors, and matrices whose rows are not a whole
 * number of 32-blocks, stay F32), and Hugging Face Q/K rows permuted from rotate-half into interleaved order.
 */
public final class GgufConverter {
    private GgufConverter() {}

    public static Path convert(Model model, DType type, Path out) throws IOException {
        return convert(model, type, out, 3);
    }

    public static Path convert(Model model, DType type, Path out, int version) throws IOException {
        ModelConfig c = model.config();
        GgufWriter w = new GgufWriter(version);
        w.putString("general.architecture", "llama").putString("general.name", "converted-" + c.format());
        w.putUInt32("llama.context_length", c.contextLength()).putUInt32("llama.embedding_length", c.dim())
                .putUInt32("llama.block_count", c.layers()).putUInt32("llama.feed_forward_length", c.hiddenDim())
                .putUInt32("llama.attention.head_count", c.heads())
                .putUInt32("llama.attention.head_count_kv", c.kvHeads())
                .putUInt32("llama.rope.dimension_count", c.headDim())
                .putFloat32("llama.attention.layer_norm_rms_epsilon", c.normEps())
                .putFloat32("llama.rope.freq_base", c.ropeTheta()).putUInt32("llama.vocab_size", c.vocabSize());
        writeTokenizer(w, (BpeTokenizer) model.tokenizer());
        LlamaWeights lw = model.weights();
        WeightNames n = WeightNames.GGUF;
        boolean permute = c.ropeStyle() == RopeStyle.ROTATE_HALF;
        add(w, n.tokenEmbedding(), lw.tokenEmbedding(), type, 0);
        for (int l = 0; l < c.layers(); l++) {
            add(w, WeightNames.layer(n.attentionNorm(), l), lw.attentionNorm(l), type, 0);
            add(w, WeightNames.layer(n.wq(), l), lw.wq(l), type, permute ? c.heads() : 0);
            add(w, WeightNames.layer(n.wk(), l), lw.wk(l), type, permute ? c.kvHeads() : 0);
            add(w, WeightNames.layer(n.wv(), l), lw.wv(l), type, 0);
            add(w, WeightNames.layer(n.wo(), l), lw.wo(l), type, 0);
            add(w, WeightNames.layer(n.ffnNorm(), l), lw.ffnNorm(l), type, 0);
            add(w, WeightNames.layer(n.ffnGate(), l), lw.ffnGate(l), type, 0);
            add(w, WeightNames.layer(n.ffnDown(), l), lw.ffnDown(l), type, 0);
            add(w, WeightNames.layer(n.ffnUp(), l), lw.ffnUp(l), type, 0);
        }
        add(w, n.finalNorm(), lw.finalNorm(), type, 0);
        if (!c.tiedEmbeddings()) {
            add(w, n.output(), lw.output(), type, 0);
        }
        return w.write(out);
    }

    /** The type a tensor gets: quantised types only where every row is whole blocks. */
    public static DType storedType(WeightTensor t, DType requested) {
        if (t.shape().length == 1 || t.cols() % requested.blockSize() != 0) {
            return DType.F32;
        }
        return requested;
    }

    private static void add(GgufWriter w, String name, WeightTensor t, DType requested, int permuteHeads) {
        float[] values = Quant.toFloats(t);
        if (permuteHeads > 0) {
            values = rotateHalfToInterleaved(values, t.rows(), t.cols(), permuteHeads);
        }
        w.addTensor(name, storedType(t, requested), t.shape(), values);
    }

    /**
     * llama.cpp's {@code permute}: within each head, HF row {@code half * headDim/2 + i} becomes row
     * {@code 2i + half}, so RoPE's pairs (i, i + headDim/2) become the interleaved pairs (2i, 2i+1).
     */
    public static float[] rotateHalfToInterleaved(float[] w, int rows, int cols, int heads) {
        int headDim = rows / heads;
        int half = headDim / 2;
        float[] out = new float[w.length];
        for (int h = 0; h < heads; h++) {
            for (int i = 0; i < half; i++) {
                for (int part = 0; part < 2; part++) {
                    int from = h * headDim + part * half + i;
                    int to = h * headDim + 2 * i + part;
                    System.arraycopy(w, from * cols, out, to * cols, cols);
                }
            }
        }
        return out;
    }

    private static void writeTokenizer(GgufWriter w, BpeTokenizer tok) {
        int n = tok.vocabSize();
        List<String> pieces = new ArrayList<>(n);
        List<Integer> types = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            TokenType t = tok.type(i);
            String p = tok.piece(i);
            if (t == TokenType.NORMAL && tok.spaceSymbol() == ' ') {
                p = p.replace(' ', '\u2581'); // llama2.c stores spaces; SentencePiece vocabularies use "▁"
            }
            pieces.add(p);
            types.add(t.code());
        }
        w.putString("tokenizer.ggml.model", "llama");
        w.putArray("tokenizer.ggml.tokens", GgufValueType.STRING, pieces);
        w.putArray("tokenizer.ggml.token_type", GgufValueType.INT32, types);
        float[] scores = tok.scores();
        List<Float> scoreList = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            scoreList.add(scores != null ? scores[i] : -i); // ranked vocabularies: placeholder, merges rule
        }
        w.putArray("tokenizer.ggml.scores", GgufValueType.FLOAT32, scoreList);
        if (tok.merges() != null) {
            List<String> merges = new ArrayList<>();
            for (String[] m : tok.merges()) {
                merges.add(m[0] + " " + m[1]);
            }
            w.putArray("tokenizer.ggml.merges", GgufValueType.STRING, merges);
        }
        if (tok.bosId() >= 0) w.putUInt32("tokenizer.ggml.bos_token_id", tok.bosId());
        if (tok.eosId() >= 0) w.putUInt32("tokenizer.ggml.eos_token_id", tok.eosId());
        if (tok.unknownId() >= 0) w.putUInt32("tokenizer.ggml.unknown_token_id", tok.unknownId());
        w.putBool("tokenizer.ggml.add_space_prefix", tok.addsPrefix());
    }
}

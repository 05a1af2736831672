package dev.hyperattention4j.llm.model;

import dev.hyperattention4j.llm.format.io.FormatErrors;
import java.util.Arrays;
import java.util.Map;

/**
 * {@link LlamaWeights} over a name → tensor map, checked once at load time: every tensor the forward pass needs
 * exists and has the shape the {@link ModelConfig} implies, so inconsistent head counts or dimensions fail when the
 * file is opened, with the tensor's name, instead of deep inside a kernel.
 */
public final class BoundWeights implements LlamaWeights {
    private final WeightTensor tokenEmbedding;
    private final WeightTensor output;
    private final WeightTensor finalNorm;
    private final WeightTensor[][] perLayer; // [role][layer]
    private final boolean biases;

    private static final int ATTN_NORM = 0, WQ = 1, WK = 2, WV = 3, WO = 4, FFN_NORM = 5, GATE = 6, DOWN = 7,
            UP = 8, BQ = 9, BK = 10, BV = 11;

    private BoundWeights(WeightTensor tokenEmbedding, WeightTensor output, WeightTensor finalNorm,
                         WeightTensor[][] perLayer, boolean biases) {
        this.tokenEmbedding = tokenEmbedding;
        this.output = output;
        this.finalNorm = finalNorm;
        this.perLayer = perLayer;
        this.biases = biases;
    }

    /**
     * Looks up and validates every tensor. With tied embeddings, whichever of the embedding and the output head
     * is present serves as both (HF checkpoints sometimes keep only {@code lm_head.weight}).
     */
    public static BoundWeights bind(ModelConfig config, Map<String, WeightTensor> tensors, WeightNames names,
                                    FormatErrors errors) throws ModelFormatException {
        int dim = config.dim();
        int qDim = config.heads() * config.headDim();
        int kvDim = config.kvHeads() * config.headDim();
        int hidden = config.hiddenDim();
        int vocab = config.vocabSize();
        WeightTensor embedding = tensors.get(names.tokenEmbedding());
        WeightTensor output = tensors.get(names.output());
        if (config.tiedEmbeddings()) {
            if (embedding == null) {
                embedding = output;
            }
            output = embedding;
        }
        embedding = check(embedding, names.tokenEmbedding(), errors, vocab, dim);
        output = check(output, names.output(), errors, vocab, dim);
        WeightTensor finalNorm = check(tensors.get(names.finalNorm()), names.finalNorm(), errors, dim);
        int layers = config.layers();
        WeightTensor[][] perLayer = new WeightTensor[12][layers];
        String[] patterns = {names.attentionNorm(), names.wq(), names.wk(), names.wv(), names.wo(), names.ffnNorm(),
                names.ffnGate(), names.ffnDown(), names.ffnUp(), names.bq(), names.bk(), names.bv()};
        long[][] shapes = {{dim}, {qDim, dim}, {kvDim, dim}, {kvDim, dim}, {dim, qDim}, {dim}, {hidden, dim},
                {dim, hidden}, {hidden, dim}, {qDim}, {kvDim}, {kvDim}};
        int roles = config.attentionBias() ? 12 : 9;
        for (int role = 0; role < roles; role++) {
            for (int l = 0; l < layers; l++) {
                String name = WeightNames.layer(patterns[role], l);
                perLayer[role][l] = check(tensors.get(name), name, errors, shapes[role]);
            }
        }
        return new BoundWeights(embedding, output, finalNorm, perLayer, config.attentionBias());
    }

    private static WeightTensor check(WeightTensor tensor, String name, FormatErrors errors, long... expected)
            throws ModelFormatException {
        if (tensor == null) {
            throw errors.error(name, "required tensor is missing");
        }
        if (!Arrays.equals(tensor.shape(), expected)) {
            throw errors.error(name, "has shape " + Arrays.toString(tensor.shape()) + " but the model configuration "
                    + "implies " + Arrays.toString(expected) + " (inconsistent dimensions or head counts)");
        }
        return tensor;
    }

    @Override public WeightTensor tokenEmbedding() { return tokenEmbedding; }
    @Override public WeightTensor attentionNorm(int layer) { return perLayer[ATTN_NORM][layer]; }
    @Override public WeightTensor wq(int layer) { return perLayer[WQ][layer]; }
    @Override public WeightTensor wk(int layer) { return perLayer[WK][layer]; }
    @Override public WeightTensor wv(int layer) { return perLayer[WV][layer]; }
    @Override public WeightTensor wo(int layer) { return perLayer[WO][layer]; }
    @Override public WeightTensor ffnNorm(int layer) { return perLayer[FFN_NORM][layer]; }
    @Override public WeightTensor ffnGate(int layer) { return perLayer[GATE][layer]; }
    @Override public WeightTensor ffnDown(int layer) { return perLayer[DOWN][layer]; }
    @Override public WeightTensor ffnUp(int layer) { return perLayer[UP][layer]; }
    @Override public WeightTensor finalNorm() { return finalNorm; }
    @Override public WeightTensor output() { return output; }
    @Override public WeightTensor bq(int layer) { return biases ? perLayer[BQ][layer] : null; }
    @Override public WeightTensor bk(int layer) { return biases ? perLayer[BK][layer] : null; }
    @Override public WeightTensor bv(int layer) { return biases ? perLayer[BV][layer] : null; }
}

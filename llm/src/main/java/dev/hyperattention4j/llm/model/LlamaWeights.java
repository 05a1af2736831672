package dev.hyperattention4j.llm.model;

/**
 * The weights the forward pass needs, by role, whatever the file named them (the name is historical: every
 * supported architecture is read into it, fused projections already split into their parts). Matrices are
 * {@code [out][in]}. {@code output()} is the token embedding itself when embeddings are tied. Bias accessors return
 * null when the model has none; {@code ffnGate} is null for a GELU MLP and {@code ffnNorm} for a parallel block.
 */
public interface LlamaWeights {
    WeightTensor tokenEmbedding();   // [vocab][dim]
    WeightTensor attentionNorm(int layer);   // [dim]
    WeightTensor wq(int layer);      // [heads*headDim][dim]
    WeightTensor wk(int layer);      // [kvHeads*headDim][dim]
    WeightTensor wv(int layer);      // [kvHeads*headDim][dim]
    WeightTensor wo(int layer);      // [dim][heads*headDim]
    WeightTensor ffnNorm(int layer); // [dim]
    WeightTensor ffnGate(int layer); // w1: [hidden][dim]
    WeightTensor ffnDown(int layer); // w2: [dim][hidden]
    WeightTensor ffnUp(int layer);   // w3: [hidden][dim]
    WeightTensor finalNorm();        // [dim]
    WeightTensor output();           // [vocab][dim]

    default WeightTensor bq(int layer) { return null; }
    default WeightTensor bk(int layer) { return null; }
    default WeightTensor bv(int layer) { return null; }
    default WeightTensor bo(int layer) { return null; }            // [dim]
    default WeightTensor attentionNormBias(int layer) { return null; } // LayerNorm: [dim]
    default WeightTensor upBias(int layer) { return null; }        // [hidden]
    default WeightTensor downBias(int layer) { return null; }      // [dim]
    default WeightTensor finalNormBias() { return null; }          // LayerNorm: [dim]
    default WeightTensor outputBias() { return null; }             // [vocab]
}

package dev.hyperattention4j.llm.train;

import dev.hyperattention4j.llm.model.DType;
import dev.hyperattention4j.llm.model.LlamaWeights;
import dev.hyperattention4j.llm.model.WeightTensor;
import dev.hyperattention4j.llm.runtime.Dequant;
import java.lang.foreign.MemorySegment;

/**
 * A model's weights with every tensor decoded to float32 on the heap, in the file's own layout: the source model
 * "run at F32", the oracle for a fine-tuning export of a quantized file.
 */
record DequantizedWeights(LlamaWeights w) implements LlamaWeights {
    private static WeightTensor f32(WeightTensor t) {
        return t == null ? null : new WeightTensor(t.name(), DType.F32, t.shape(),
                MemorySegment.ofArray(Dequant.all(t)));
    }

    @Override public WeightTensor tokenEmbedding() { return f32(w.tokenEmbedding()); }
    @Override public WeightTensor attentionNorm(int l) { return f32(w.attentionNorm(l)); }
    @Override public WeightTensor wq(int l) { return f32(w.wq(l)); }
    @Override public WeightTensor wk(int l) { return f32(w.wk(l)); }
    @Override public WeightTensor wv(int l) { return f32(w.wv(l)); }
    @Override public WeightTensor wo(int l) { return f32(w.wo(l)); }
    @Override public WeightTensor ffnNorm(int l) { return f32(w.ffnNorm(l)); }
    @Override public WeightTensor ffnGate(int l) { return f32(w.ffnGate(l)); }
    @Override public WeightTensor ffnDown(int l) { return f32(w.ffnDown(l)); }
    @Override public WeightTensor ffnUp(int l) { return f32(w.ffnUp(l)); }
    @Override public WeightTensor finalNorm() { return f32(w.finalNorm()); }
    @Override public WeightTensor output() { return f32(w.output()); }
    @Override public WeightTensor bq(int l) { return f32(w.bq(l)); }
    @Override public WeightTensor bk(int l) { return f32(w.bk(l)); }
    @Override public WeightTensor bv(int l) { return f32(w.bv(l)); }
}

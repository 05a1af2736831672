package dev.hyperattention4j.cli.experiment;

import dev.hyperattention4j.attention.Attention;
import dev.hyperattention4j.attention.AttentionProblem;
import dev.hyperattention4j.attention.NonFinitePolicy;
import dev.hyperattention4j.llm.model.Model;
import dev.hyperattention4j.llm.runtime.AttentionPlan;
import dev.hyperattention4j.llm.runtime.LlamaModel;
import dev.hyperattention4j.llm.runtime.LlamaSession;
import dev.hyperattention4j.runtime.WorkerPool;
import dev.hyperattention4j.tensor.FloatTensor;

/**
 * Captures the attention inputs of one layer of a real model running over real text: the post-RoPE Q, K and V
 * (and the softmax scale) of layer ℓ's prefill call, copied out of the session's buffers. It rides on the
 * runtime's {@link AttentionPlan}: layer ℓ is "patched" with this recorder, which answers exactly, so the run itself
 * is unchanged.
 */
final class LayerCapture implements Attention {
    private final Attention exact;
    private AttentionProblem captured;

    private LayerCapture(Attention exact) {
        this.exact = exact;
    }

    /** Runs {@code tokens} through the model and returns layer {@code layer}'s problem (causal, contiguous copies). */
    static AttentionProblem capture(Model model, int layer, int[] tokens, WorkerPool pool) {
        int layers = model.config().layers();
        if (layer < 0 || layer >= layers) {
            throw new IllegalArgumentException("layer " + layer + " is outside [0, " + layers + ")");
        }
        Attention exact = ModelText.exactAttention(model.config().headDim(), pool);
        LayerCapture recorder = new LayerCapture(exact);
        LlamaSession session = LlamaModel.of(model).newSession(tokens.length,
                AttentionPlan.patchLast(exact, layers - layer, layers, l -> l == layer ? recorder : exact), pool);
        session.forward(tokens, 0, tokens.length, null, 0);
        return recorder.captured;
    }

    @Override
    public void forward(AttentionProblem p) {
        if (captured == null) {
            captured = new AttentionProblem(copy(p.query()), copy(p.key()), copy(p.value()),
                    FloatTensor.zeros(p.batch(), p.queryHeads(), p.queryLength(), p.headDim()), null, p.scale(),
                    p.causal(), NonFinitePolicy.REJECT);
        }
        exact.forward(p);
    }

    @Override
    public String name() {
        return "capture";
    }

    private static FloatTensor copy(FloatTensor t) {
        FloatTensor c = FloatTensor.zeros(t.batch(), t.heads(), t.length(), t.dim());
        float[] row = new float[t.dim()];
        for (int b = 0; b < t.batch(); b++) {
            for (int h = 0; h < t.heads(); h++) {
                for (int i = 0; i < t.length(); i++) {
                    t.readRow(b, h, i, row, 0);
                    c.writeRow(b, h, i, row, 0);
                }
            }
        }
        return c;
    }
}

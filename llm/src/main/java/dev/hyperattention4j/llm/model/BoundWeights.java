package dev.hyperattention4j.llm.model;

import dev.hyperattention4j.llm.format.io.FormatErrors;
import dev.hyperattention4j.llm.model.WeightNames.Role;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.Map;

/**
 * {@link LlamaWeights} over a name → tensor map, checked once at load time: every tensor the forward pass needs
 * exists and has the shape the {@link ModelConfig} implies, so inconsistent head counts or dimensions fail when the
 * file is opened, with the tensor's name, instead of deep inside a kernel. Fused tensors (ChatGLM's QKV matrix and
 * bias, a gate/up matrix) are split here into row slices over the same bytes, so the forward pass sees one layout.
 * An optional tensor (a bias) present in the first layer is required in every layer.
 */
public final class BoundWeights implements LlamaWeights {
    private final Map<Role, WeightTensor> global;
    private final Map<Role, WeightTensor[]> perLayer;

    private BoundWeights(Map<Role, WeightTensor> global, Map<Role, WeightTensor[]> perLayer) {
        this.global = global;
        this.perLayer = perLayer;
    }

    /**
     * Looks up and validates every tensor. With tied embeddings, whichever of the embedding and the output head
     * is present serves as both (HF checkpoints sometimes keep only {@code lm_head.weight}).
     */
    public static BoundWeights bind(ModelConfig config, Map<String, WeightTensor> tensors, WeightNames names,
                                    FormatErrors errors) throws ModelFormatException {
        return new Binder(config, tensors, names, errors).bind();
    }

    private static final class Binder {
        final ModelConfig c;
        final Map<String, WeightTensor> tensors;
        final WeightNames names;
        final FormatErrors errors;
        final Map<Role, WeightTensor> global = new EnumMap<>(Role.class);
        final Map<Role, WeightTensor[]> perLayer = new EnumMap<>(Role.class);

        Binder(ModelConfig c, Map<String, WeightTensor> tensors, WeightNames names, FormatErrors errors) {
            this.c = c;
            this.tensors = tensors;
            this.names = names;
            this.errors = errors;
        }

        BoundWeights bind() throws ModelFormatException {
            int dim = c.dim(), qDim = c.heads() * c.headDim(), kvDim = c.kvHeads() * c.headDim();
            int hidden = c.hiddenDim(), vocab = c.vocabSize();
            boolean layerNorm = c.block().norm() == BlockLayout.Norm.LAYER;
            WeightTensor embedding = tensors.get(names.tokenEmbedding());
            WeightTensor output = tensors.get(names.output());
            if (c.tiedEmbeddings()) {
                if (embedding == null) {
                    embedding = output;
                }
                output = embedding;
            }
            global.put(Role.TOKEN_EMBEDDING, check(embedding, names.tokenEmbedding(), vocab, dim));
            global.put(Role.OUTPUT, check(output, names.output(), vocab, dim));
            global.put(Role.FINAL_NORM, required(Role.FINAL_NORM, -1, dim));
            if (layerNorm) {
                global.put(Role.FINAL_NORM_BIAS, required(Role.FINAL_NORM_BIAS, -1, dim));
            }
            WeightTensor outBias = optionalGlobal(Role.OUTPUT_BIAS, vocab);
            if (outBias != null) {
                global.put(Role.OUTPUT_BIAS, outBias);
            }
            for (int l = 0; l < c.layers(); l++) {
                put(Role.ATTN_NORM, l, required(Role.ATTN_NORM, l, dim));
                if (layerNorm) {
                    put(Role.ATTN_NORM_BIAS, l, required(Role.ATTN_NORM_BIAS, l, dim));
                }
                bindAttention(l, qDim, kvDim, dim);
                if (!c.block().parallelResidual()) {
                    put(Role.FFN_NORM, l, required(Role.FFN_NORM, l, dim));
                }
                bindMlp(l, hidden, dim);
            }
            refuseLayersBeyondTheCount();
            return new BoundWeights(global, perLayer);
        }

        /**
         * A tensor of a layer past the declared count means the count is wrong (the extra layers would be ignored
         * and the model would run, giving numbers of a truncated network); refused naming the tensor.
         */
        void refuseLayersBeyondTheCount() throws ModelFormatException {
            java.util.Set<String> prefixes = new java.util.HashSet<>();
            for (Role role : Role.values()) {
                String pattern = names.pattern(role);
                if (role.perLayer() && pattern != null && pattern.contains("%d")) {
                    prefixes.add(pattern.substring(0, pattern.indexOf("%d")));
                }
            }
            for (String name : tensors.keySet()) {
                for (String prefix : prefixes) {
                    if (!name.startsWith(prefix)) {
                        continue;
                    }
                    int end = prefix.length();
                    while (end < name.length() && end - prefix.length() < 9 && Character.isDigit(name.charAt(end))) {
                        end++;
                    }
                    if (end > prefix.length() && end < name.length() && name.charAt(end) == '.'
                            && Integer.parseInt(name.substring(prefix.length(), end)) >= c.layers()) {
                        throw errors.error(name, "belongs to layer " + name.substring(prefix.length(), end)
                                + " but the model declares " + c.layers() + " layers (the layer count is wrong)");
                    }
                }
            }
        }

        private void bindAttention(int l, int qDim, int kvDim, int dim) throws ModelFormatException {
            String fusedName = names.name(Role.WQKV, l);
            if (fusedName != null && tensors.containsKey(fusedName)) {
                WeightTensor qkv = check(tensors.get(fusedName), fusedName, qDim + 2L * kvDim, dim);
                split(Role.WQ, Role.WK, Role.WV, l, qkv, qDim, kvDim);
                if (c.attentionBias()) {
                    WeightTensor b = required(Role.BQKV, l, qDim + 2L * kvDim);
                    split(Role.BQ, Role.BK, Role.BV, l, b, qDim, kvDim);
                }
            } else {
                put(Role.WQ, l, required(Role.WQ, l, qDim, dim));
                put(Role.WK, l, required(Role.WK, l, kvDim, dim));
                put(Role.WV, l, required(Role.WV, l, kvDim, dim));
                if (c.attentionBias()) {
                    put(Role.BQ, l, required(Role.BQ, l, qDim));
                    put(Role.BK, l, required(Role.BK, l, kvDim));
                    put(Role.BV, l, required(Role.BV, l, kvDim));
                }
            }
            put(Role.WO, l, required(Role.WO, l, dim, qDim));
            put(Role.BO, l, optional(Role.BO, l, dim));
        }

        private void bindMlp(int l, int hidden, int dim) throws ModelFormatException {
            if (c.block().mlp() == BlockLayout.Mlp.SWIGLU) {
                String gateName = names.name(Role.GATE, l);
                if (gateName != null && tensors.containsKey(gateName)) {
                    put(Role.GATE, l, required(Role.GATE, l, hidden, dim));
                    put(Role.UP, l, required(Role.UP, l, hidden, dim));
                } else {
                    // one [2·hidden][dim] matrix, gate rows first: HF ChatGLM's dense_h_to_4h, GGUF chatglm's ffn_up
                    Role fused = names.pattern(Role.GATE_UP) != null ? Role.GATE_UP : Role.UP;
                    WeightTensor candidate = tensors.get(names.name(fused, l));
                    if (fused == Role.UP && (candidate == null || candidate.shape().length != 2
                            || candidate.shape()[0] != 2L * hidden)) {
                        required(Role.GATE, l, hidden, dim); // a plain SwiGLU file without its gate: name the gate
                    }
                    WeightTensor gu = required(fused, l, 2L * hidden, dim);
                    put(Role.GATE, l, gu.rowSlice(gu.name() + "[gate]", 0, hidden));
                    put(Role.UP, l, gu.rowSlice(gu.name() + "[up]", hidden, 2L * hidden));
                }
            } else {
                put(Role.UP, l, required(Role.UP, l, hidden, dim));
                put(Role.UP_BIAS, l, optional(Role.UP_BIAS, l, hidden));
            }
            put(Role.DOWN, l, required(Role.DOWN, l, dim, hidden));
            put(Role.DOWN_BIAS, l, optional(Role.DOWN_BIAS, l, dim));
        }

        private void split(Role q, Role k, Role v, int l, WeightTensor t, int qDim, int kvDim) {
            put(q, l, t.rowSlice(t.name() + "[q]", 0, qDim));
            put(k, l, t.rowSlice(t.name() + "[k]", qDim, qDim + kvDim));
            put(v, l, t.rowSlice(t.name() + "[v]", qDim + kvDim, qDim + 2L * kvDim));
        }

        private void put(Role role, int l, WeightTensor t) {
            if (t != null) {
                perLayer.computeIfAbsent(role, r -> new WeightTensor[c.layers()])[l] = t;
            }
        }

        private WeightTensor required(Role role, int layer, long... shape) throws ModelFormatException {
            String name = names.name(role, layer);
            if (name == null) {
                throw errors.error(role.name(), "this naming scheme has no " + role + " tensor, which the "
                        + c.architecture() + " block needs");
            }
            return check(tensors.get(name), name, shape);
        }

        private WeightTensor optionalGlobal(Role role, long... shape) throws ModelFormatException {
            String name = names.name(role, -1);
            return name == null || !tensors.containsKey(name) ? null : check(tensors.get(name), name, shape);
        }

        /** Present in every layer if present in layer 0; absent everywhere otherwise. */
        private WeightTensor optional(Role role, int layer, long... shape) throws ModelFormatException {
            String name = names.name(role, layer);
            if (name == null) {
                return null;
            }
            boolean inFirst = tensors.containsKey(names.name(role, 0));
            if (!inFirst && tensors.containsKey(name)) {
                throw errors.error(name, "is present but layer 0 has no " + names.name(role, 0)
                        + " (every layer must have the same tensors)");
            }
            return inFirst ? check(tensors.get(name), name, shape) : null;
        }

        private WeightTensor check(WeightTensor tensor, String name, long... expected) throws ModelFormatException {
            if (tensor == null) {
                throw errors.error(name, "required tensor is missing");
            }
            if (!Arrays.equals(tensor.shape(), expected)) {
                throw errors.error(name, "has shape " + Arrays.toString(tensor.shape()) + " but the model "
                        + "configuration implies " + Arrays.toString(expected)
                        + " (inconsistent dimensions or head counts)");
            }
            return tensor;
        }
    }

    private WeightTensor at(Role role, int layer) {
        WeightTensor[] a = perLayer.get(role);
        return a == null ? null : a[layer];
    }

    @Override public WeightTensor tokenEmbedding() { return global.get(Role.TOKEN_EMBEDDING); }
    @Override public WeightTensor output() { return global.get(Role.OUTPUT); }
    @Override public WeightTensor outputBias() { return global.get(Role.OUTPUT_BIAS); }
    @Override public WeightTensor finalNorm() { return global.get(Role.FINAL_NORM); }
    @Override public WeightTensor finalNormBias() { return global.get(Role.FINAL_NORM_BIAS); }
    @Override public WeightTensor attentionNorm(int layer) { return at(Role.ATTN_NORM, layer); }
    @Override public WeightTensor attentionNormBias(int layer) { return at(Role.ATTN_NORM_BIAS, layer); }
    @Override public WeightTensor wq(int layer) { return at(Role.WQ, layer); }
    @Override public WeightTensor wk(int layer) { return at(Role.WK, layer); }
    @Override public WeightTensor wv(int layer) { return at(Role.WV, layer); }
    @Override public WeightTensor bq(int layer) { return at(Role.BQ, layer); }
    @Override public WeightTensor bk(int layer) { return at(Role.BK, layer); }
    @Override public WeightTensor bv(int layer) { return at(Role.BV, layer); }
    @Override public WeightTensor wo(int layer) { return at(Role.WO, layer); }
    @Override public WeightTensor bo(int layer) { return at(Role.BO, layer); }
    @Override public WeightTensor ffnNorm(int layer) { return at(Role.FFN_NORM, layer); }
    @Override public WeightTensor ffnGate(int layer) { return at(Role.GATE, layer); }
    @Override public WeightTensor ffnUp(int layer) { return at(Role.UP, layer); }
    @Override public WeightTensor upBias(int layer) { return at(Role.UP_BIAS, layer); }
    @Override public WeightTensor ffnDown(int layer) { return at(Role.DOWN, layer); }
    @Override public WeightTensor downBias(int layer) { return at(Role.DOWN_BIAS, layer); }
}

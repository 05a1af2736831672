package dev.hyperattention4j.llm.train;

import dev.hyperattention4j.attention.AttentionProblem;
import dev.hyperattention4j.attention.BackwardContext;
import dev.hyperattention4j.attention.Gradients;
import dev.hyperattention4j.attention.NonFinitePolicy;
import dev.hyperattention4j.attention.TrainableAttention;
import dev.hyperattention4j.llm.model.ModelConfig;
import dev.hyperattention4j.llm.runtime.PanelLinear;
import dev.hyperattention4j.runtime.HeapBudget;
import dev.hyperattention4j.runtime.WorkerPool;
import dev.hyperattention4j.tensor.FloatTensor;
import java.util.Objects;

/**
 * The training forward pass of a Llama-family model over one token window, with the activations it saves, and the
 * backward pass that turns the mean cross-entropy of next-token prediction into gradients of every parameter.
 *
 * <p>Per block (pre-norm): {@code h = x + Wo·attn(rope(Wq·n₁(x)), rope(Wk·n₁(x)), Wv·n₁(x))},
 * {@code x' = h + Wd·(silu(Wg·n₂(h)) ⊙ Wu·n₂(h))}; then {@code logits = Wout·n_f(x)}. Saved per layer, per token:
 * the block input, both normed inputs and their 1/rms, Q (rotated), K (rotated), V, the attention output, its
 * log-sum-exp, h, and the MLP's gate, up and product: {@code 5·dim + 2·(qDim + kvDim)/… + 3·hidden} floats, so
 * memory is O(context × dim × layers), never context². The output head and the loss run over chunks of
 * {@link #HEAD_CHUNK} tokens inside the backward pass, so logits are never held for the whole window.
 *
 * <p>Deterministic: every reduction has a fixed order whatever the thread count (matrix products per
 * {@link Matmul}, norm-weight and bias gradients summed over tokens in order by one thread per column range, the
 * attention backward's own guarantee, embedding rows accumulated in token order).
 */
public final class LlamaBackprop {
    /** Tokens per chunk of the output head and loss. */
    static final int HEAD_CHUNK = 128;
    /** Token rows per unit of the element-wise stages. */
    private static final int ROWS = 32;

    private final ModelConfig c;
    private final int context;
    private final TrainingAttention attention;
    private final WorkerPool pool;
    private final int dim, qDim, kvDim, hid, vocab, hd;
    private final float scale;
    private final RopeTable rope;
    private final Saved[] saved;
    private final float[] xFinal, nFinal, invFinal;
    private long calls;
    private final StepProfile profile = new StepProfile();
    private final WeightGradient weightGradient = new WeightGradient();

    /** The activations of one block. */
    private static final class Saved {
        final float[] xIn, n1, inv1, q, k, v, att, lse, h, n2, inv2, g, u, a;
        BackwardContext ctx;

        Saved(int n, int dim, int qDim, int kvDim, int hid, int heads) {
            xIn = new float[n * dim];
            n1 = new float[n * dim];
            inv1 = new float[n];
            q = new float[n * qDim];
            k = new float[n * kvDim];
            v = new float[n * kvDim];
            att = new float[n * qDim];
            lse = new float[heads * n];
            h = new float[n * dim];
            n2 = new float[n * dim];
            inv2 = new float[n];
            g = new float[n * hid];
            u = new float[n * hid];
            a = new float[n * hid];
        }
    }

    /** Bytes of activations a window of {@code context} tokens saves (what must fit in the heap). */
    public static long activationBytes(ModelConfig c, long context) {
        long q = (long) c.heads() * c.headDim(), kv = (long) c.kvHeads() * c.headDim();
        long perLayer = 5L * c.dim() + 2 + 2 * q + 2 * kv + c.heads() + 3L * c.hiddenDim();
        return 4L * context * (perLayer * c.layers() + 2L * c.dim() + 1);
    }

    /**
     * @param context   the window length (tokens fed per forward call; the targets are the next tokens)
     * @param attention exact or HyperAttention per layer
     */
    public LlamaBackprop(ModelConfig c, int context, TrainingAttention attention, WorkerPool pool) {
        LlamaParameters.checkSupported(c);
        if (context < 1) {
            throw new IllegalArgumentException("context must be >= 1, got " + context);
        }
        this.c = c;
        this.context = context;
        this.attention = Objects.requireNonNull(attention, "attention");
        this.pool = Objects.requireNonNull(pool, "pool");
        this.dim = c.dim();
        this.hd = c.headDim();
        this.qDim = c.heads() * hd;
        this.kvDim = c.kvHeads() * hd;
        this.hid = c.hiddenDim();
        this.vocab = c.vocabSize();
        this.scale = AttentionProblem.defaultScale(hd);
        HeapBudget.require(activationBytes(c, context), "the activations of a " + context + "-token training window",
                "lower the context or the model size");
        this.rope = new RopeTable(c, context);
        this.saved = new Saved[c.layers()];
        for (int l = 0; l < saved.length; l++) {
            saved[l] = new Saved(context, dim, qDim, kvDim, hid, c.heads());
        }
        this.xFinal = new float[context * dim];
        this.nFinal = new float[context * dim];
        this.invFinal = new float[context];
    }

    public ModelConfig config() { return c; }

    public int context() { return context; }

    /** Forward calls so far (HyperAttention's samples are seeded by it); set when a run resumes. */
    public long calls() { return calls; }

    public void setCalls(long calls) { this.calls = calls; }

    /** Time per phase of the calls so far (the trainer adds the optimizer's). */
    public StepProfile profile() { return profile; }

    /** The forward and backward panels of one step's weights. */
    private record Panels(PanelLinear[] fwd, PanelLinear[] bwd) {
    }

    /** Matrix index of a layer's weight in {@link Panels}: wq, wk, wv, wo, gate, up, down; then the head. */
    private static final int WQ = 0, WK = 1, WV = 2, WO = 3, GATE = 4, UP = 5, DOWN = 6, PER_LAYER = 7;

    /** The last step's panels, whose arrays the next step's packing rewrites (calls never overlap). */
    private PanelLinear[] lastFwd, lastBwd;

    private Panels pack(LlamaParameters p, boolean backward) {
        int m = PER_LAYER * c.layers() + 1;
        PanelLinear[] fwd = lastFwd != null ? lastFwd : new PanelLinear[m];
        PanelLinear[] bwd = backward ? (lastBwd != null ? lastBwd : new PanelLinear[m]) : null;
        lastFwd = fwd;
        if (backward) {
            lastBwd = bwd;
        }
        pool.run(m, (w, i) -> {
            float[] a;
            int rows, cols;
            if (i == m - 1) {
                a = p.output();
                rows = vocab;
                cols = dim;
            } else {
                LlamaParameters.Layer y = p.layer(i / PER_LAYER);
                switch (i % PER_LAYER) {
                    case WQ -> { a = y.wq(); rows = qDim; cols = dim; }
                    case WK -> { a = y.wk(); rows = kvDim; cols = dim; }
                    case WV -> { a = y.wv(); rows = kvDim; cols = dim; }
                    case WO -> { a = y.wo(); rows = dim; cols = qDim; }
                    case GATE -> { a = y.gate(); rows = hid; cols = dim; }
                    case UP -> { a = y.up(); rows = hid; cols = dim; }
                    default -> { a = y.down(); rows = dim; cols = hid; }
                }
            }
            fwd[i] = PanelLinear.of(a, rows, cols, fwd[i]);
            if (backward) {
                bwd[i] = PanelLinear.ofTransposed(a, rows, cols, bwd[i]);
            }
        });
        return new Panels(fwd, bwd);
    }

    /** Mean next-token NLL of {@code tokens[0 .. n]} (n + 1 tokens: n inputs, n targets), forward only. */
    public double loss(LlamaParameters p, int[] tokens, int n) {
        profile.start();
        Panels panels = pack(p, false);
        profile.lap(StepProfile.Phase.PACK);
        forward(p, panels, tokens, n, false);
        return head(p, panels, null, tokens, n, 0f, null);
    }

    /** The logits after each of the n input tokens, row-major {@code [n][vocab]} (tests). */
    public float[] logits(LlamaParameters p, int[] tokens, int n) {
        Panels panels = pack(p, false);
        forward(p, panels, tokens, n, false);
        float[] logits = new float[n * vocab];
        Matmul.apply(panels.fwd()[panels.fwd().length - 1], nFinal, n, logits, false, pool);
        return logits;
    }

    /**
     * Mean next-token NLL of {@code tokens[0 .. n]} and its gradient times {@code gradScale}, added to {@code grads}
     * (so micro-batches accumulate; pass 1/micro-batches for their mean).
     */
    public double lossAndGradient(LlamaParameters p, int[] tokens, int n, LlamaParameters grads, float gradScale) {
        profile.start();
        Panels panels = pack(p, true);
        profile.lap(StepProfile.Phase.PACK);
        forward(p, panels, tokens, n, true);
        float[] dx = new float[n * dim];
        double loss = head(p, panels, grads, tokens, n, gradScale / n, dx);
        backward(p, panels, grads, tokens, n, dx);
        return loss;
    }

    private void checkWindow(int[] tokens, int n) {
        if (n < 1 || n > context) {
            throw new IllegalArgumentException("a window of " + n + " tokens does not fit the context " + context);
        }
        if (tokens.length < n + 1) {
            throw new IllegalArgumentException(n + " inputs need " + (n + 1) + " tokens (the last is only a target), got "
                    + tokens.length);
        }
        for (int t = 0; t <= n; t++) {
            if (tokens[t] < 0 || tokens[t] >= vocab) {
                throw new IllegalArgumentException("token id " + tokens[t] + " at index " + t
                        + " is outside the vocabulary [0, " + vocab + ")");
            }
        }
    }

    /** Runs {@code work(t0, t1)} over row chunks of n tokens on the pool. */
    private void rows(int n, RowTask work) {
        int units = (n + ROWS - 1) / ROWS;
        pool.run(units, (w, u) -> work.run(u * ROWS, Math.min(n, u * ROWS + ROWS)));
    }

    @FunctionalInterface
    private interface RowTask {
        void run(int t0, int t1);
    }

    private void forward(LlamaParameters p, Panels panels, int[] tokens, int n, boolean save) {
        checkWindow(tokens, n);
        long call = calls++;
        float[] x = new float[n * dim];
        float[] emb = p.embedding();
        for (int t = 0; t < n; t++) {
            System.arraycopy(emb, tokens[t] * dim, x, t * dim, dim);
        }
        float eps = c.normEps();
        for (int l = 0; l < c.layers(); l++) {
            LlamaParameters.Layer y = p.layer(l);
            Saved s = saved[l];
            System.arraycopy(x, 0, s.xIn, 0, n * dim);
            rows(n, (t0, t1) -> {
                for (int t = t0; t < t1; t++) {
                    s.inv1[t] = RmsNorm.forward(x, t * dim, y.attentionNorm(), eps, s.n1, t * dim, dim);
                }
            });
            PanelLinear[] f = panels.fwd();
            int b = l * PER_LAYER;
            profile.lap(StepProfile.Phase.ELEMENTWISE);
            Matmul.apply(f[b + WQ], s.n1, n, s.q, false, pool);
            Matmul.apply(f[b + WK], s.n1, n, s.k, false, pool);
            Matmul.apply(f[b + WV], s.n1, n, s.v, false, pool);
            profile.lap(StepProfile.Phase.LINEAR_FORWARD);
            rows(n, (t0, t1) -> {
                for (int t = t0; t < t1; t++) {
                    addBias(s.q, t * qDim, y.bq());
                    addBias(s.k, t * kvDim, y.bk());
                    addBias(s.v, t * kvDim, y.bv());
                    rope.forward(s.q, t * qDim, c.heads(), t);
                    rope.forward(s.k, t * kvDim, c.kvHeads(), t);
                }
            });
            profile.lap(StepProfile.Phase.ELEMENTWISE);
            TrainableAttention att = attention.forLayer(l, c.layers(), call, pool);
            AttentionProblem problem = new AttentionProblem(view(s.q, c.heads(), n, qDim), view(s.k, c.kvHeads(), n,
                    kvDim), view(s.v, c.kvHeads(), n, kvDim), view(s.att, c.heads(), n, qDim), s.lse, scale, true,
                    NonFinitePolicy.PROPAGATE);
            s.ctx = att.forward(problem, save);
            if (save) {
                s.ctx = new Attached(att, s.ctx);
            }
            profile.lap(attention.isHyper(l, c.layers()) ? StepProfile.Phase.HYPER_ATTENTION_FORWARD
                    : StepProfile.Phase.ATTENTION_FORWARD);
            float[] delta = new float[n * dim];
            Matmul.apply(f[b + WO], s.att, n, delta, false, pool);
            profile.lap(StepProfile.Phase.LINEAR_FORWARD);
            rows(n, (t0, t1) -> {
                for (int t = t0; t < t1; t++) {
                    for (int i = t * dim; i < (t + 1) * dim; i++) {
                        x[i] += delta[i];
                    }
                    s.inv2[t] = RmsNorm.forward(x, t * dim, y.ffnNorm(), eps, s.n2, t * dim, dim);
                }
            });
            System.arraycopy(x, 0, s.h, 0, n * dim);
            profile.lap(StepProfile.Phase.ELEMENTWISE);
            Matmul.apply(f[b + GATE], s.n2, n, s.g, false, pool);
            Matmul.apply(f[b + UP], s.n2, n, s.u, false, pool);
            profile.lap(StepProfile.Phase.LINEAR_FORWARD);
            rows(n, (t0, t1) -> SwiGlu.forward(s.g, s.u, s.a, t0 * hid, t1 * hid));
            profile.lap(StepProfile.Phase.ELEMENTWISE);
            Matmul.apply(f[b + DOWN], s.a, n, delta, false, pool);
            profile.lap(StepProfile.Phase.LINEAR_FORWARD);
            rows(n, (t0, t1) -> {
                for (int i = t0 * dim; i < t1 * dim; i++) {
                    x[i] += delta[i];
                }
            });
        }
        System.arraycopy(x, 0, xFinal, 0, n * dim);
        rows(n, (t0, t1) -> {
            for (int t = t0; t < t1; t++) {
                invFinal[t] = RmsNorm.forward(xFinal, t * dim, p.finalNorm(), eps, nFinal, t * dim, dim);
            }
        });
        profile.lap(StepProfile.Phase.ELEMENTWISE);
    }

    /** The attention instance that made a context, kept with it for the backward call. */
    private record Attached(TrainableAttention attention, BackwardContext inner) implements BackwardContext {
        @Override
        public AttentionProblem problem() {
            return inner.problem();
        }
    }

    private static FloatTensor view(float[] a, int heads, int n, int stride) {
        int d = stride / heads;
        return FloatTensor.strided(a, 0, new int[] {1, heads, n, d}, new long[] {0, d, stride, 1});
    }

    private static void addBias(float[] a, int off, float[] bias) {
        if (bias != null) {
            for (int i = 0; i < bias.length; i++) {
                a[off + i] += bias[i];
            }
        }
    }

    /**
     * The output head and the loss over chunks of tokens. With {@code grads}, also the head's weight gradient and
     * {@code dx} = the gradient of the final norm's input; the loss gradient of each token is {@code gradScale}.
     */
    private double head(LlamaParameters p, Panels panels, LlamaParameters grads, int[] tokens, int n, float gradScale,
                        float[] dx) {
        PanelLinear out = panels.fwd()[panels.fwd().length - 1];
        boolean grad = grads != null;
        double loss = 0;
        float[] dn = grad ? new float[n * dim] : null;
        float[] logits = new float[Math.min(HEAD_CHUNK, n) * vocab];
        for (int t0 = 0; t0 < n; t0 += HEAD_CHUNK) {
            int rows = Math.min(HEAD_CHUNK, n - t0), from = t0;
            float[] x = java.util.Arrays.copyOfRange(nFinal, t0 * dim, (t0 + rows) * dim);
            Matmul.apply(out, x, rows, logits, false, pool);
            double[] nll = new double[rows];
            pool.run(rows, (w, r) -> nll[r] = CrossEntropy.lossAndGradient(logits, r * vocab, vocab,
                    tokens[from + r + 1], gradScale, grad));
            for (double v : nll) {
                if (!Double.isFinite(v)) {
                    throw new ArithmeticException("the loss became " + v + " (non-finite logits): the model diverged; "
                            + "lower the learning rate");
                }
                loss += v;
            }
            if (grad) {
                weightGradient.accumulate(logits, x, rows, vocab, dim, grads.output(), pool);
                float[] dnChunk = new float[rows * dim];
                Matmul.apply(panels.bwd()[panels.bwd().length - 1], logits, rows, dnChunk, false, pool);
                System.arraycopy(dnChunk, 0, dn, t0 * dim, rows * dim);
            }
        }
        profile.lap(StepProfile.Phase.HEAD);
        if (grad) {
            normBackward(xFinal, p.finalNorm(), invFinal, dn, dx, n, grads.finalNorm());
            profile.lap(StepProfile.Phase.ELEMENTWISE);
        }
        return loss / n;
    }

    /**
     * The backward pass of an RMSNorm over n token rows of x (weights w, saved 1/rms inv): adds the input gradient
     * of {@code dy} to {@code dx} and the weight gradient to {@code dw}.
     */
    private void normBackward(float[] x, float[] w, float[] inv, float[] dy, float[] dx, int n, float[] dw) {
        rows(n, (t0, t1) -> {
            for (int t = t0; t < t1; t++) {
                RmsNorm.backward(x, t * dim, w, inv[t], dy, t * dim, dx, t * dim, dim);
            }
        });
        normWeightGradient(x, inv, dy, n, dw);
    }

    private void normWeightGradient(float[] x, float[] inv, float[] dy, int n, float[] dw) {
        int parts = Math.min(dim, 4 * pool.threads());
        pool.run(parts, (w, u) -> RmsNorm.weightGradient(x, inv, dy, n, dim, dw, dim * u / parts,
                dim * (u + 1) / parts));
    }

    private void biasGradient(float[] dy, int n, int width, float[] db) {
        if (db == null) {
            return;
        }
        int parts = Math.min(width, 4 * pool.threads());
        pool.run(parts, (w, u) -> {
            int from = width * u / parts, to = width * (u + 1) / parts;
            double[] s = new double[to - from];   // per column in token order, rows read in memory order
            for (int t = 0; t < n; t++) {
                for (int i = from; i < to; i++) {
                    s[i - from] += dy[t * width + i];
                }
            }
            for (int i = from; i < to; i++) {
                db[i] += (float) s[i - from];
            }
        });
    }

    private void backward(LlamaParameters p, Panels panels, LlamaParameters grads, int[] tokens, int n, float[] dx) {
        PanelLinear[] bw = panels.bwd();
        float[] dh = new float[n * dim], da = new float[n * hid], dg = new float[n * hid], du = new float[n * hid];
        float[] dn = new float[n * dim], datt = new float[n * qDim];
        float[] dq = new float[n * qDim], dk = new float[n * kvDim], dv = new float[n * kvDim];
        for (int l = c.layers() - 1; l >= 0; l--) {
            LlamaParameters.Layer y = p.layer(l), gy = grads.layer(l);
            Saved s = saved[l];
            int b = l * PER_LAYER;
            // x' = h + Wd·a
            weightGradient.accumulate(dx, s.a, n, dim, hid, gy.down(), pool);
            profile.lap(StepProfile.Phase.LINEAR_WEIGHT_GRADIENT);
            Matmul.apply(bw[b + DOWN], dx, n, da, false, pool);
            profile.lap(StepProfile.Phase.LINEAR_INPUT_GRADIENT);
            rows(n, (t0, t1) -> SwiGlu.backward(s.g, s.u, da, dg, du, t0 * hid, t1 * hid));
            profile.lap(StepProfile.Phase.ELEMENTWISE);
            weightGradient.accumulate(dg, s.n2, n, hid, dim, gy.gate(), pool);
            weightGradient.accumulate(du, s.n2, n, hid, dim, gy.up(), pool);
            profile.lap(StepProfile.Phase.LINEAR_WEIGHT_GRADIENT);
            Matmul.apply(bw[b + GATE], dg, n, dn, false, pool);
            Matmul.apply(bw[b + UP], du, n, dn, true, pool);
            profile.lap(StepProfile.Phase.LINEAR_INPUT_GRADIENT);
            System.arraycopy(dx, 0, dh, 0, n * dim);
            normBackward(s.h, y.ffnNorm(), s.inv2, dn, dh, n, gy.ffnNorm());
            profile.lap(StepProfile.Phase.ELEMENTWISE);
            // h = x + Wo·att
            weightGradient.accumulate(dh, s.att, n, dim, qDim, gy.wo(), pool);
            profile.lap(StepProfile.Phase.LINEAR_WEIGHT_GRADIENT);
            Matmul.apply(bw[b + WO], dh, n, datt, false, pool);
            profile.lap(StepProfile.Phase.LINEAR_INPUT_GRADIENT);
            Attached ctx = (Attached) s.ctx;
            Gradients g = ctx.attention().backward(ctx.inner(), view(datt, c.heads(), n, qDim));
            s.ctx = null;
            profile.lap(attention.isHyper(l, c.layers()) ? StepProfile.Phase.HYPER_ATTENTION_BACKWARD
                    : StepProfile.Phase.ATTENTION_BACKWARD);
            read(g.query(), dq, c.heads(), n, qDim);
            read(g.key(), dk, c.kvHeads(), n, kvDim);
            read(g.value(), dv, c.kvHeads(), n, kvDim);
            rows(n, (t0, t1) -> {
                for (int t = t0; t < t1; t++) {
                    rope.backward(dq, t * qDim, c.heads(), t);
                    rope.backward(dk, t * kvDim, c.kvHeads(), t);
                }
            });
            biasGradient(dq, n, qDim, gy.bq());
            biasGradient(dk, n, kvDim, gy.bk());
            biasGradient(dv, n, kvDim, gy.bv());
            profile.lap(StepProfile.Phase.ELEMENTWISE);
            weightGradient.accumulate(dq, s.n1, n, qDim, dim, gy.wq(), pool);
            weightGradient.accumulate(dk, s.n1, n, kvDim, dim, gy.wk(), pool);
            weightGradient.accumulate(dv, s.n1, n, kvDim, dim, gy.wv(), pool);
            profile.lap(StepProfile.Phase.LINEAR_WEIGHT_GRADIENT);
            Matmul.apply(bw[b + WQ], dq, n, dn, false, pool);
            Matmul.apply(bw[b + WK], dk, n, dn, true, pool);
            Matmul.apply(bw[b + WV], dv, n, dn, true, pool);
            profile.lap(StepProfile.Phase.LINEAR_INPUT_GRADIENT);
            System.arraycopy(dh, 0, dx, 0, n * dim);
            normBackward(s.xIn, y.attentionNorm(), s.inv1, dn, dx, n, gy.attentionNorm());
            profile.lap(StepProfile.Phase.ELEMENTWISE);
        }
        float[] dEmb = grads.embedding();
        for (int t = 0; t < n; t++) {   // token order: rows hit twice sum in the same order for any thread count
            int row = tokens[t] * dim;
            for (int i = 0; i < dim; i++) {
                dEmb[row + i] += dx[t * dim + i];
            }
        }
        profile.lap(StepProfile.Phase.ELEMENTWISE);
    }

    private void read(FloatTensor g, float[] dst, int heads, int n, int stride) {
        int d = stride / heads;
        rows(n, (t0, t1) -> {
            for (int t = t0; t < t1; t++) {
                for (int h = 0; h < heads; h++) {
                    g.readRow(0, h, t, dst, t * stride + h * d);
                }
            }
        });
    }
}

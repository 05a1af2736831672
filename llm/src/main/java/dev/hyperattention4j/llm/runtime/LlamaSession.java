package dev.hyperattention4j.llm.runtime;

import dev.hyperattention4j.attention.Attention;
import dev.hyperattention4j.attention.AttentionProblem;
import dev.hyperattention4j.attention.NonFinitePolicy;
import dev.hyperattention4j.kernel.AttentionRow;
import dev.hyperattention4j.llm.model.BlockLayout;
import dev.hyperattention4j.llm.model.ModelConfig;
import dev.hyperattention4j.runtime.HeapBudget;
import dev.hyperattention4j.runtime.WorkerPool;
import dev.hyperattention4j.tensor.FloatTensor;
import java.util.Objects;

/**
 * One inference run of a {@link LlamaModel}: the KV cache (sized to the requested context), the current position
 * and every activation buffer, allocated once and reused. Not thread-safe; use one session per conversation.
 *
 * <p>Forward pass per layer (pre-norm Llama block): {@code h = x + Wo·attn(rope(Wq·n(x)), rope(Wk·n(x)),
 * Wv·n(x))}, {@code x' = h + Wd·(silu(Wg·n(h)) ⊙ Wu·n(h))} with RMSNorm n. The model's {@code BlockLayout} varies
 * this: LayerNorm with bias instead of RMSNorm, a GELU MLP {@code Wd·gelu(Wu·y)}, and a parallel block
 * {@code x' = x + Wo·attn(..n(x)..) + mlp(n(x))} (phi); biases are added wherever the model has them. A multi-token call (prefill) runs
 * each layer as stages over tiles of up to {@link #TILE} tokens (norm + QKV + RoPE + cache write; output projection +
 * MLP) around the layer's {@link AttentionPlan} attention over the whole prompt, all stages of the prompt in one
 * pool job when the session computes the attention itself ({@link #prefill}). A single-token call (decode)
 * attends exactly over the cache with the same row kernel ({@link AttentionRow}); large matrices are then split
 * by output rows across the pool, small ones stay on the calling thread because a thread handoff costs more than
 * the work.
 */
public final class LlamaSession {
    /** Most tokens per work unit in prefill (the size of the per-worker buffers). */
    public static final int TILE = 128;
    /** Fewest tokens per work unit in prefill. */
    static final int MIN_TILE = 32;
    /** Multiply-adds below which a single-token matrix product stays on one thread. */
    static final long SPLIT_ROWS_MACS = 1L << 20;
    /** Query rows per attention unit of a prefill. */
    static final int ATT_ROWS = 16;
    /** Prompts up to this length use scalar exact attention until the vector kernels are compiled. */
    static final int COLD_PROMPT = 256;
    /**
     * Tokens × parameters above which a first prompt releases the kernel warm-up at its start, however short: about
     * 1 GFLOP, half a second or more of the scalar twins; a 1B-parameter model passes it with one token (the token
     * count alone left a 1B model's short first prompt on the scalar twins for tens of seconds: notebook 2026-12-08).
     */
    static final long COLD_WORK = 500_000_000L;

    private final LlamaModel model;
    /** The model's parameter count, for the cold-start rules ({@link #COLD_WORK}). */
    private final long parameters;
    private final ModelConfig c;
    private final KvCache cache;
    private final Rope rope;
    private AttentionPlan plan;
    private final WorkerPool pool;
    private final int dimP, qDim, qP, kvDim, kvP, hidP, vocabP;
    private final float scale;
    private final boolean layerNorm;
    /** Keys a query sees (itself included) when the model's sliding window is shorter than the context, else 0. */
    private final int window;
    private final Scratch[] scratch;
    private final float[] decodeLogits;
    private int position;
    /** Tokens per work unit of the current prompt ({@link #tile(int, int, int)}). */
    private int tile = MIN_TILE;
    /**
     * Most tokens per work unit for this model: {@link #TILE} when its layers hold packed weights (decoded once per
     * unit), else {@link #MIN_TILE} (float panels gain nothing from larger units, and smaller ones balance better).
     */
    private final int maxTile;
    private int batchCapacity;
    private float[] x = new float[0], q = new float[0], att = new float[0];
    /** Single-token buffers of the multi-threaded decode step. */
    private final float[] dxb, dk, dv, dh1, dh3, dtmp;
    private final PhaseBarrier barrier;
    private final int[] oneToken = new int[1];

    /** Per-worker buffers for one token tile. */
    private static final class Scratch {
        final float[] xb, tmp, k, v, h1, h3, row, scores;

        Scratch(int tile, int dimP, int kvP, int hidP, int rowCols, int capacity) {
            xb = new float[tile * dimP];
            tmp = new float[tile * dimP];
            k = new float[tile * kvP];
            v = new float[tile * kvP];
            h1 = new float[tile * hidP];
            h3 = new float[tile * hidP];
            row = new float[rowCols];
            scores = new float[4 * Linear.roundUp(capacity, Linear.BLOCK)];   // AttentionRow.rows4
        }
    }

    /**
     * Heap bytes a session of {@code contextLength} tokens allocates, at most: the KV cache, RoPE tables, the
     * per-thread score rows and the prefill buffers of a whole-context batch (the weights are mapped, not on heap).
     */
    public static long bytesFor(ModelConfig c, long contextLength, int threads) {
        long kv = 2L * c.layers() * c.kvHeads() * c.headDim();
        long perToken = kv + 4L * threads + c.headDim() + c.dim() + 2L * c.heads() * c.headDim() + 3L * Linear.BLOCK;
        return Math.multiplyHigh(perToken, contextLength) != 0 ? Long.MAX_VALUE
                : Math.min(Long.MAX_VALUE / 8, perToken * contextLength) * Float.BYTES;
    }

    LlamaSession(LlamaModel model, int contextLength, AttentionPlan plan, WorkerPool pool) {
        this.model = Objects.requireNonNull(model, "model");
        this.parameters = model.parameters();
        this.plan = Objects.requireNonNull(plan, "attention plan");
        this.pool = Objects.requireNonNull(pool, "pool");
        this.c = model.config();
        if (contextLength <= 0) {
            throw new IllegalArgumentException("context length must be > 0, got " + contextLength);
        }
        this.window = c.slidingWindow() > 0 && c.slidingWindow() < contextLength ? c.slidingWindow() : 0;
        checkWindow(plan);
        HeapBudget.require(bytesFor(c, contextLength, pool.threads()),
                "a session of " + contextLength + " tokens of context for this model", "lower the context length");
        this.cache = new KvCache(c.layers(), c.kvHeads(), c.headDim(), contextLength);
        this.rope = new Rope(c.ropeStyle(), c.headDim(), c.rotaryDims(), c.ropeTheta(), c.ropeScaling(), contextLength);
        int b = Linear.BLOCK;
        this.dimP = Linear.roundUp(c.dim(), b);
        this.qDim = c.heads() * c.headDim();
        this.qP = Linear.roundUp(qDim, b);
        this.kvDim = c.kvHeads() * c.headDim();
        this.kvP = Linear.roundUp(kvDim, b);
        this.hidP = Linear.roundUp(c.hiddenDim(), b);
        this.vocabP = Linear.roundUp(c.vocabSize(), b);
        this.scale = AttentionProblem.defaultScale(c.headDim());
        this.layerNorm = c.block().norm() == BlockLayout.Norm.LAYER;
        int rowCols = Math.max(Math.max(Math.max(c.dim(), c.hiddenDim()), qDim) + Linear.BLOCK, model.scratchSize());
        this.maxTile = c.layers() > 0 && (model.layer(0).wq() instanceof QuantLinear
                || model.layer(0).up() instanceof QuantLinear) ? TILE : MIN_TILE;
        this.scratch = new Scratch[pool.threads()];
        for (int i = 0; i < scratch.length; i++) {
            scratch[i] = new Scratch(maxTile, dimP, kvP, hidP, rowCols, contextLength);
        }
        this.decodeLogits = new float[vocabP];
        dxb = new float[dimP];
        dk = new float[kvP];
        dv = new float[kvP];
        dh1 = new float[hidP];
        dh3 = new float[hidP];
        dtmp = new float[dimP];
        barrier = new PhaseBarrier(9 * c.layers() + 2);
    }

    public ModelConfig config() { return c; }

    public int capacity() { return cache.capacity(); }

    public int position() { return position; }

    public AttentionPlan plan() { return plan; }

    public KvCache cache() { return cache; }

    /** Forgets the cached positions (the buffers are kept). */
    public void reset() { position = 0; }

    /**
     * Keeps the first {@code length} cached positions and forgets the rest, so the next {@link #forward} continues
     * a shared prefix (a server reusing the cache of a slot's previous request).
     */
    public void truncate(int length) {
        if (length < 0 || length > position) {
            throw new IllegalArgumentException("cannot keep " + length + " cached positions of " + position);
        }
        position = length;
    }

    /** Uses {@code plan} for the following prefills (per-request attention settings; decode stays exact). */
    public void usePlan(AttentionPlan plan) {
        checkWindow(Objects.requireNonNull(plan, "attention plan"));
        this.plan = plan;
    }

    /**
     * A sliding window is honoured by the session's own exact row attention (prefill and decode); a patched kernel
     * (HyperAttention) would let its blocks, samples and causal recursion see keys outside the window, so that
     * combination is refused rather than run on the full context.
     */
    private void checkWindow(AttentionPlan p) {
        if (window > 0 && p.patchLast() > 0) {
            throw new IllegalArgumentException("the model attends within a sliding window of " + window + " tokens; "
                    + p.describe() + " does not support a window: use exact attention (no --patch-last), or a "
                    + "context of at most " + window + " tokens");
        }
    }

    /** Row stride of the logits arrays this session writes (the vocabulary rounded up to a SIMD block). */
    public int logitStride() { return vocabP; }

    /**
     * Runs {@code tokens[from .. from+n)} at positions {@code position() ..} and appends them to the cache. When
     * {@code logits} is not null, row {@code i - logitsFrom} of it (stride {@link #logitStride()}) receives the
     * logits after token {@code i}, for {@code i} in {@code [logitsFrom, n)}.
     */
    public void forward(int[] tokens, int from, int n, float[] logits, int logitsFrom) {
        if (n <= 0 || position + n > cache.capacity()) {
            throw new IllegalArgumentException("cannot run " + n + " tokens at position " + position
                    + ": the context holds " + cache.capacity());
        }
        if (logits != null && (logitsFrom < 0 || logitsFrom >= n
                || logits.length < (long) (n - logitsFrom) * vocabP)) {
            throw new IllegalArgumentException("logits array of " + logits.length + " floats cannot hold rows "
                    + logitsFrom + ".." + n + " at stride " + vocabP);
        }
        ensureBatch(n);
        int p0 = position;
        rope.prepare(p0, p0 + n);
        for (int t = 0; t < n; t++) {
            int tok = tokens[from + t];
            if (tok < 0 || tok >= c.vocabSize()) {
                throw new IllegalArgumentException("token id " + tok + " at index " + (from + t)
                        + " is outside the vocabulary [0, " + c.vocabSize() + ")");
            }
            Dequant.row(model.embedding(), tok, x, t * dimP);
        }
        if (n > COLD_PROMPT || n * parameters > COLD_WORK) {
            KernelWarmup.release();   // a long prompt or a large model: worth compiling the kernels while it runs
        }
        tile = tile(n, pool.threads(), maxTile);
        int units = (n + tile - 1) / tile;
        if (units == 1) {
            forwardSingleTile(n, p0, logits, logitsFrom);
        } else {
            prefill(n, p0, logits, logitsFrom);
        }
        position += n;
        KernelWarmup.release();   // after the first (short) prompt: its first token came without competition
    }

    /**
     * Up to {@link #MIN_TILE} tokens (and so every decode step through {@link #forward}): one unit per stage, so large
     * matrices are split by output rows across the pool instead.
     */
    private void forwardSingleTile(int n, int p0, float[] logits, int logitsFrom) {
        boolean splitRows = pool.threads() > 1;
        for (int l = 0; l < c.layers(); l++) {
            LlamaModel.Layer layer = model.layer(l);
            attentionInput(l, layer, 0, 0, n, p0, splitRows);
            if (rowAttention(l, n)) {
                int tiles = (n + ATT_ROWS - 1) / ATT_ROWS;
                final int li = l;
                if ((long) (p0 + n) * n * qDim >= SPLIT_ROWS_MACS && pool.threads() > 1) {
                    pool.run(c.heads() * tiles, (w, u) -> attentionUnit(li, u, tiles, n, p0, w));
                } else {
                    for (int u = 0; u < c.heads() * tiles; u++) {
                        attentionUnit(l, u, tiles, n, p0, 0);
                    }
                }
            } else {
                planAttention(l, p0, n);
            }
            feedForward(layer, 0, 0, n, splitRows);
        }
        if (logits != null) {
            head(0, logitsFrom, n, logits, logitsFrom, splitRows);
        }
    }

    /**
     * Tokens per work unit of a prompt of n tokens: two units per thread or more (so that a slow thread does not hold
     * the others long), each as large as that allows between {@link #MIN_TILE} and {@code max}: a packed weight is
     * decoded once per unit, so larger units spend less on decoding (docs/QUANT-KERNELS.md). Results do not depend
     * on it: every output of a matrix product is one chain over its columns whatever the token grouping.
     */
    static int tile(int n, int threads, int max) {
        int perUnit = Linear.roundUp((n + 2 * threads - 1) / (2 * threads), MIN_TILE);
        return Math.max(MIN_TILE, Math.min(max, perUnit));
    }

    /**
     * A multi-tile prompt as one pool job per run of stages: per layer (1) norm + QKV + RoPE + cache write by token
     * tile, (2) attention by (head, row tile) when the session computes it itself ({@link #rowAttention}), (3)
     * output projection + MLP by token tile; then the output head. The participants pass a {@link PhaseBarrier}
     * between stages instead of handing work to the pool for every stage. A layer whose attention is another kernel
     * (flash, HyperAttention) ends the job; that kernel runs on the pool by itself, then the next job starts.
     */
    private void prefill(int n, int p0, float[] logits, int logitsFrom) {
        int stages = 3 * c.layers() + (logits != null ? 1 : 0);
        int start = 0;
        for (int i = 0; i < stages; i++) {
            if (i % 3 == 1 && i < 3 * c.layers() && !rowAttention(i / 3, n)) {
                runStages(start, i, n, p0, logits, logitsFrom);
                planAttention(i / 3, p0, n);
                start = i + 1;
            }
        }
        runStages(start, stages, n, p0, logits, logitsFrom);
    }

    private void runStages(int from, int to, int n, int p0, float[] logits, int logitsFrom) {
        if (from >= to) {
            return;
        }
        barrier.reset(to);
        if (pool.threads() == 1) {
            stages(0, from, to, n, p0, logits, logitsFrom);
        } else {
            pool.run(pool.threads(), (w, u) -> stages(w, from, to, n, p0, logits, logitsFrom));
        }
    }

    /** One participant's share of stages [from, to) of {@link #prefill}. */
    private void stages(int w, int from, int to, int n, int p0, float[] logits, int logitsFrom) {
        int tiles = (n + tile - 1) / tile;
        int rowTiles = (n + ATT_ROWS - 1) / ATT_ROWS;
        for (int i = from; i < to; i++) {
            int l = i / 3;
            if (l == c.layers()) {
                int rows = n - logitsFrom;
                int lu = (rows + tile - 1) / tile;
                Linear out = model.output();
                if (rows == 1 && pool.threads() > 1 && (long) out.rows() * out.cols() >= SPLIT_ROWS_MACS) {
                    barrier.phase(i, rowUnits(out), w, (wk, u) -> {
                        norm(x, logitsFrom * dimP, model.finalNorm(), model.finalNormBias(), scratch[wk].xb, 0);
                        outputUnit(scratch[wk].xb, logits, u, scratch[wk].row);
                    });
                } else {
                    barrier.phase(i, lu, w, (wk, u) -> head(wk, logitsFrom + u * tile,
                            Math.min(n, logitsFrom + u * tile + tile), logits, logitsFrom, false));
                }
                continue;
            }
            LlamaModel.Layer layer = model.layer(l);
            switch (i % 3) {
                case 0 -> barrier.phase(i, tiles, w, (wk, u) -> attentionInput(l, layer, wk, u * tile,
                        Math.min(n, u * tile + tile), p0, false));
                case 1 -> barrier.phase(i, c.heads() * rowTiles, w,
                        (wk, u) -> attentionUnit(l, u, rowTiles, n, p0, wk));
                default -> barrier.phase(i, tiles, w, (wk, u) -> feedForward(layer, wk, u * tile,
                        Math.min(n, u * tile + tile), false));
            }
        }
    }

    /** Runs all of {@code tokens} and returns the logits after the last one (valid in {@code [0, vocab)}). */
    public float[] forwardLast(int[] tokens) {
        forward(tokens, 0, tokens.length, decodeLogits, tokens.length - 1);
        return decodeLogits;
    }

    /** Runs one token and returns its logits (the same array each call; valid in {@code [0, vocab)}). */
    public float[] decode(int token) {
        if (pool.threads() == 1 || !KernelWarmup.ready()) {
            oneToken[0] = token;
            forward(oneToken, 0, 1, decodeLogits, 0);
            return decodeLogits;
        }
        if (position >= cache.capacity()) {
            throw new IllegalArgumentException("cannot run 1 tokens at position " + position
                    + ": the context holds " + cache.capacity());
        }
        if (token < 0 || token >= c.vocabSize()) {
            throw new IllegalArgumentException("token id " + token + " is outside the vocabulary [0, "
                    + c.vocabSize() + ")");
        }
        ensureBatch(1);
        Dequant.row(model.embedding(), token, x, 0);
        int p0 = position;
        rope.prepare(p0, p0 + 1);
        barrier.reset(barrier.capacity());
        pool.run(pool.threads(), (w, u) -> decodeParticipant(w, p0));
        position++;
        return decodeLogits;
    }

    /** Blocks of {@link Linear#BLOCK} rows per unit of a single-token product (k1x4 works on 4 at a time). */
    private static final int DECODE_BLOCKS = 4;

    private static int rowUnits(Linear m) {
        return (m.rows() + DECODE_BLOCKS * Linear.BLOCK - 1) / (DECODE_BLOCKS * Linear.BLOCK);
    }

    private static void rowUnit(Linear m, float[] in, float[] out, int unit, float[] scratch) {
        int r0 = unit * DECODE_BLOCKS * Linear.BLOCK;
        m.apply(in, 0, 0, 1, out, 0, 0, r0, Math.min(m.rows(), r0 + DECODE_BLOCKS * Linear.BLOCK), scratch);
    }

    /**
     * One participant of a multi-threaded decode step: every layer as a fixed sequence of phases (norm; Q/K/V row
     * units; RoPE and cache write; one unit per head; Wo rows; residual and norm; gate/up rows with SwiGLU; down
     * rows; residual), then the output head. Same kernels and per-row order as the single-threaded step.
     */
    private void decodeParticipant(int w, int p0) {
        float[] rs = scratch[w].row;
        boolean parallel = c.block().parallelResidual();
        int ph = 0;
        int hd = c.headDim(), length = p0 + 1;
        for (int l = 0; l < c.layers(); l++) {
            LlamaModel.Layer layer = model.layer(l);
            final int li = l;
            int qu = rowUnits(layer.wq()), ku = rowUnits(layer.wk()), vu = rowUnits(layer.wv());
            barrier.phase(ph++, 1, w, (wk, u) -> norm(x, 0, layer.attentionNorm(), layer.attentionNormBias(), dxb,
                    0));
            barrier.phase(ph++, qu + ku + vu, w, (wk, u) -> {
                if (u < qu) {
                    rowUnit(layer.wq(), dxb, q, u, rs);
                } else if (u < qu + ku) {
                    rowUnit(layer.wk(), dxb, dk, u - qu, rs);
                } else {
                    rowUnit(layer.wv(), dxb, dv, u - qu - ku, rs);
                }
            });
            barrier.phase(ph++, 1, w, (wk, u) -> {
                addBias(q, 0, layer.bq());
                addBias(dk, 0, layer.bk());
                addBias(dv, 0, layer.bv());
                rope.apply(q, 0, c.heads(), p0);
                rope.apply(dk, 0, c.kvHeads(), p0);
                cache.put(li, p0, dk, 0, dv, 0);
            });
            barrier.phase(ph++, c.heads(), w, (wk, h) -> attendRow(li, q, h * hd, h, length, scratch[wk].scores, att,
                    h * hd));
            barrier.phase(ph++, rowUnits(layer.wo()), w, (wk, u) -> rowUnit(layer.wo(), att, dtmp, u, rs));
            barrier.phase(ph++, 1, w, (wk, u) -> {
                addBias(dtmp, 0, layer.bo());
                Vectors.add(x, 0, dtmp, 0, c.dim());
                if (!parallel) {   // a parallel block's MLP reads the attention's input, still in dxb
                    norm(x, 0, layer.ffnNorm(), null, dxb, 0);
                }
            });
            int hu = rowUnits(layer.up());
            barrier.phase(ph++, hu, w, (wk, u) -> {
                int r0 = u * DECODE_BLOCKS * Linear.BLOCK;
                int r1 = Math.min(c.hiddenDim(), r0 + DECODE_BLOCKS * Linear.BLOCK);
                if (layer.gate() != null) {
                    rowUnit(layer.gate(), dxb, dh1, u, rs);
                    rowUnit(layer.up(), dxb, dh3, u, rs);
                    Vectors.siluMul(dh1, r0, dh3, r0, r1 - r0);
                } else {
                    rowUnit(layer.up(), dxb, dh1, u, rs);
                    addBias(dh1, r0, layer.upBias(), r0, r1 - r0);
                    Vectors.gelu(dh1, r0, dh3, r0, r1 - r0);
                }
            });
            barrier.phase(ph++, rowUnits(layer.down()), w, (wk, u) -> rowUnit(layer.down(), dh1, dtmp, u, rs));
            // the residual add is folded into the next phase that reads x
            if (l + 1 < c.layers()) {
                barrier.phase(ph++, 1, w, (wk, u) -> residual(x, 0, dtmp, 0, layer.downBias()));
            }
        }
        LlamaModel.Layer last = model.layer(c.layers() - 1);
        barrier.phase(ph++, 1, w, (wk, u) -> {
            residual(x, 0, dtmp, 0, last.downBias());
            norm(x, 0, model.finalNorm(), model.finalNormBias(), dxb, 0);
        });
        barrier.phase(ph, rowUnits(model.output()), w, (wk, u) -> outputUnit(dxb, decodeLogits, u, rs));
    }

    private void ensureBatch(int n) {
        if (n > batchCapacity) {
            int cap = Math.min(cache.capacity(), Math.max(n, Math.min(2 * batchCapacity, cache.capacity())));
            x = new float[cap * dimP];
            q = new float[cap * qP];
            att = new float[cap * qP];
            batchCapacity = cap;
        }
    }

    /** RMSNorm, Q/K/V projections, biases, RoPE, cache write, for tokens [t0, t1) of the batch. */
    private void attentionInput(int l, LlamaModel.Layer layer, int worker, int t0, int t1, int p0, boolean split) {
        Scratch s = scratch[worker];
        int n = t1 - t0;
        for (int t = 0; t < n; t++) {
            norm(x, (t0 + t) * dimP, layer.attentionNorm(), layer.attentionNormBias(), s.xb, t * dimP);
        }
        mm(layer.wq(), s.xb, 0, dimP, n, q, t0 * qP, qP, s, split);
        mm(layer.wk(), s.xb, 0, dimP, n, s.k, 0, kvP, s, split);
        mm(layer.wv(), s.xb, 0, dimP, n, s.v, 0, kvP, s, split);
        for (int t = 0; t < n; t++) {
            int pos = p0 + t0 + t;
            addBias(q, (t0 + t) * qP, layer.bq());
            addBias(s.k, t * kvP, layer.bk());
            addBias(s.v, t * kvP, layer.bv());
            rope.apply(q, (t0 + t) * qP, c.heads(), pos);
            rope.apply(s.k, t * kvP, c.kvHeads(), pos);
            cache.put(l, pos, s.k, t * kvP, s.v, t * kvP);
        }
    }

    /**
     * Whether the session computes layer l's attention itself, with {@link AttentionRow} straight over the KV cache
     * (no packing, no separate pool job): always for a single token (decode is exact over the cache whatever the
     * plan), when the layer's kernel is {@link RowwiseAttention} (the same row kernel, so the same bits), and for
     * short exact prompts while the vector kernels are still being compiled (the scalar twin is fast from the first
     * call).
     */
    private boolean rowAttention(int l, int n) {
        Attention a = plan.forLayer(l);
        return n == 1 || window > 0 || (a instanceof RowwiseAttention r && r.rowsFor(n))
                || (n <= COLD_PROMPT && !KernelWarmup.ready() && a == plan.exact());
    }

    /**
     * Attention unit u of a prompt of n tokens: query head u mod heads, row tile counted from the end (later rows
     * see more keys, so they are handed out first).
     */
    private void attentionUnit(int l, int u, int rowTiles, int n, int p0, int worker) {
        int h = u % c.heads();
        int tile = rowTiles - 1 - u / c.heads();
        int hd = c.headDim();
        int i = tile * ATT_ROWS, end = Math.min(n, tile * ATT_ROWS + ATT_ROWS);
        float[] scores = scratch[worker].scores;
        if (KernelWarmup.ready()) {
            int kvh = h / c.groupSize(), cap = cache.capacity();
            int sStride = Linear.roundUp(cap, Linear.BLOCK);
            // four rows share one key range only while the window has not started to slide
            for (; i + 4 <= end && (window == 0 || p0 + i + 4 <= window); i += 4) {
                AttentionRow.rows4(q, i * qP + h * hd, qP, cache.keysTransposed(l), kvh * hd * cap, cap,
                        cache.valueRows(l), kvh * cap * hd, hd, p0 + i + 1, scale, scores, sStride, att,
                        i * qP + h * hd, qP);
            }
        }
        for (; i < end; i++) {
            attendRow(l, q, i * qP + h * hd, h, p0 + i + 1, scores, att, i * qP + h * hd);
        }
    }

    /**
     * Query head h at q[qOff ..] against cached positions [0, length) of layer l (the last {@code window} of them
     * with a sliding window), into out[outOff ..].
     */
    private void attendRow(int l, float[] qs, int qOff, int h, int length, float[] scores, float[] out, int outOff) {
        int hd = c.headDim(), kvh = h / c.groupSize(), cap = cache.capacity();
        int first = window > 0 ? Math.max(0, length - window) : 0;
        float[] kt = cache.keysTransposed(l), vv = cache.valueRows(l);
        int kBase = kvh * hd * cap + first, vBase = (kvh * cap + first) * hd;
        if (KernelWarmup.ready()) {
            AttentionRow.row(qs, qOff, kt, kBase, cap, vv, vBase, hd, length - first, scale, scores, out, outOff);
        } else {
            AttentionRow.rowScalar(qs, qOff, kt, kBase, cap, vv, vBase, hd, length - first, scale, scores, out,
                    outOff);
        }
    }

    /** Layer l's attention by the plan's kernel over the whole prompt (it runs its own pool jobs). */
    private void planAttention(int l, int p0, int n) {
        FloatTensor qv = FloatTensor.strided(q, 0, new int[] {1, c.heads(), n, c.headDim()},
                new long[] {0, c.headDim(), qP, 1});
        FloatTensor ov = FloatTensor.strided(att, 0, new int[] {1, c.heads(), n, c.headDim()},
                new long[] {0, c.headDim(), qP, 1});
        plan.forLayer(l).forward(new AttentionProblem(qv, cache.keys(l, p0 + n), cache.values(l, p0 + n), ov, null,
                scale, true, NonFinitePolicy.PROPAGATE));
    }

    /**
     * Output projection + residual, norm, MLP + residual, for tokens [t0, t1). A parallel block normalises the
     * residual stream again before the attention output is added: its MLP reads the same input as the attention.
     */
    private void feedForward(LlamaModel.Layer layer, int worker, int t0, int t1, boolean split) {
        Scratch s = scratch[worker];
        int n = t1 - t0;
        mm(layer.wo(), att, t0 * qP, qP, n, s.tmp, 0, dimP, s, split);
        boolean parallel = c.block().parallelResidual();
        for (int t = 0; t < n; t++) {
            addBias(s.tmp, t * dimP, layer.bo());
            if (parallel) {
                norm(x, (t0 + t) * dimP, layer.attentionNorm(), layer.attentionNormBias(), s.xb, t * dimP);
                Vectors.add(x, (t0 + t) * dimP, s.tmp, t * dimP, c.dim());
            } else {
                Vectors.add(x, (t0 + t) * dimP, s.tmp, t * dimP, c.dim());
                norm(x, (t0 + t) * dimP, layer.ffnNorm(), null, s.xb, t * dimP);
            }
        }
        if (layer.gate() != null) {
            mm(layer.gate(), s.xb, 0, dimP, n, s.h1, 0, hidP, s, split);
            mm(layer.up(), s.xb, 0, dimP, n, s.h3, 0, hidP, s, split);
            for (int t = 0; t < n; t++) {
                Vectors.siluMul(s.h1, t * hidP, s.h3, t * hidP, c.hiddenDim());
            }
        } else {
            mm(layer.up(), s.xb, 0, dimP, n, s.h1, 0, hidP, s, split);
            for (int t = 0; t < n; t++) {
                addBias(s.h1, t * hidP, layer.upBias());
                Vectors.gelu(s.h1, t * hidP, s.h3, t * hidP, c.hiddenDim());
            }
        }
        mm(layer.down(), s.h1, 0, hidP, n, s.tmp, 0, dimP, s, split);
        for (int t = 0; t < n; t++) {
            residual(x, (t0 + t) * dimP, s.tmp, t * dimP, layer.downBias());
        }
    }

    /** Final norm and output head for tokens [t0, t1), written to logits rows t - logitsFrom. */
    private void head(int worker, int t0, int t1, float[] logits, int logitsFrom, boolean split) {
        Scratch s = scratch[worker];
        int n = t1 - t0;
        for (int t = 0; t < n; t++) {
            norm(x, (t0 + t) * dimP, model.finalNorm(), model.finalNormBias(), s.xb, t * dimP);
        }
        mm(model.output(), s.xb, 0, dimP, n, logits, (t0 - logitsFrom) * vocabP, vocabP, s, split);
        for (int t = 0; t < n; t++) {
            addBias(logits, (t0 - logitsFrom + t) * vocabP, model.outputBias());
        }
    }

    /** Output-head row unit u of a single token, with the head's bias when it has one. */
    private void outputUnit(float[] in, float[] out, int u, float[] rs) {
        rowUnit(model.output(), in, out, u, rs);
        int r0 = u * DECODE_BLOCKS * Linear.BLOCK;
        addBias(out, r0, model.outputBias(), r0, Math.min(c.vocabSize(), r0 + DECODE_BLOCKS * Linear.BLOCK) - r0);
    }

    private void mm(Linear m, float[] in, int inOff, int inStride, int n, float[] out, int outOff, int outStride,
                    Scratch s, boolean split) {
        long macs = (long) m.rows() * m.cols() * n;
        if (!split || macs < SPLIT_ROWS_MACS) {
            m.apply(in, inOff, inStride, n, out, outOff, outStride, s.row);
            return;
        }
        int blocks = (m.rows() + Linear.BLOCK - 1) / Linear.BLOCK;
        int chunks = Math.min(blocks, 4 * pool.threads());
        pool.run(chunks, (w, u) -> {
            int r0 = (int) ((long) blocks * u / chunks) * Linear.BLOCK;
            int r1 = Math.min(m.rows(), (int) ((long) blocks * (u + 1) / chunks) * Linear.BLOCK);
            m.apply(in, inOff, inStride, n, out, outOff, outStride, r0, r1, scratch[w].row);
        });
    }

    /** The block's norm: RMSNorm, or LayerNorm with bias. */
    private void norm(float[] in, int inOff, float[] weight, float[] bias, float[] out, int outOff) {
        if (layerNorm) {
            Vectors.layerNorm(in, inOff, weight, bias, c.normEps(), out, outOff, c.dim());
        } else {
            Vectors.rmsNorm(in, inOff, weight, c.normEps(), out, outOff, c.dim());
        }
    }

    /** x += delta (+ bias). */
    private void residual(float[] xs, int xOff, float[] delta, int dOff, float[] bias) {
        Vectors.add(xs, xOff, delta, dOff, c.dim());
        addBias(xs, xOff, bias);
    }

    private static void addBias(float[] a, int off, float[] bias) {
        if (bias != null) {
            Vectors.add(a, off, bias, 0, bias.length);
        }
    }

    /** a[off + i] += bias[from + i] for i in [0, n). */
    private static void addBias(float[] a, int off, float[] bias, int from, int n) {
        if (bias != null) {
            Vectors.add(a, off, bias, from, n);
        }
    }
}

package dev.hyperattention4j.attention;

import dev.hyperattention4j.kernel.FlashKernel;
import dev.hyperattention4j.kernel.PackedKeyValues;
import dev.hyperattention4j.runtime.WorkerPool;

/**
 * Exact attention with the tiled online-softmax {@link FlashKernel}, parallel over (query head of a KV group,
 * query tile) on a {@link WorkerPool}. Keys and values are packed once per (batch, KV head) and shared by every
 * query head of the group. Every output row comes from one unit with a fixed key order, so results are
 * bit-identical for any thread count.
 */
public final class FlashAttention implements Attention {
    /** Query rows per work unit (Br). */
    public static final int QUERY_TILE = 128;

    private final WorkerPool pool;

    public FlashAttention() {
        this(WorkerPool.shared());
    }

    public FlashAttention(WorkerPool pool) {
        this.pool = java.util.Objects.requireNonNull(pool, "pool");
    }

    @Override
    public String name() {
        return "flash";
    }

    public WorkerPool pool() {
        return pool;
    }

    @Override
    public void forward(AttentionProblem p) {
        p.checkFinite();
        int d = p.headDim(), nq = p.queryLength(), nk = p.keyLength(), g = p.groupSize();
        int tiles = (nq + QUERY_TILE - 1) / QUERY_TILE;
        FlashKernel[] kernels = new FlashKernel[pool.threads()];
        float[][] outs = new float[pool.threads()][];
        float[][] lses = new float[pool.threads()][];
        PackedKeyValues kv = new PackedKeyValues();
        int offset = p.causal() ? nk - nq : 0;
        for (int b = 0; b < p.batch(); b++) {
            for (int kvh = 0; kvh < p.kvHeads(); kvh++) {
                kv.pack(p.key(), p.value(), b, kvh, null, 0, nk);
                final int bb = b, hk = kvh;
                pool.run(g * tiles, (worker, unit) -> {
                    if (kernels[worker] == null) {
                        kernels[worker] = new FlashKernel(d);
                        outs[worker] = new float[QUERY_TILE * d];
                        lses[worker] = new float[QUERY_TILE];
                    }
                    FlashKernel kernel = kernels[worker];
                    int h = hk * g + unit / tiles;
                    int q0 = (unit % tiles) * QUERY_TILE;
                    int q1 = Math.min(nq, q0 + QUERY_TILE);
                    kernel.packQueries(p.query(), bb, h, null, q0, q1, p.scale());
                    int diagonal = p.causal() ? q0 + offset : FlashKernel.NO_MASK;
                    int keyEnd = p.causal() ? Math.max(0, Math.min(nk, q1 + offset)) : nk;
                    kernel.attend(kv, 0, keyEnd, diagonal, outs[worker], 0, lses[worker], 0);
                    for (int i = q0; i < q1; i++) {
                        p.output().writeRow(bb, h, i, outs[worker], (i - q0) * d);
                        if (p.logSumExp() != null) {
                            p.logSumExp()[p.lseIndex(bb, h, i)] = lses[worker][i - q0];
                        }
                    }
                });
            }
        }
    }
}

package dev.hyperattention4j.attention;

import dev.hyperattention4j.kernel.FlashKernel;
import dev.hyperattention4j.kernel.FlashTiles;
import dev.hyperattention4j.kernel.FlashWarmup;
import dev.hyperattention4j.kernel.PackedKeyValues;
import dev.hyperattention4j.kernel.TileSizes;
import dev.hyperattention4j.runtime.WorkerPool;
import java.util.ArrayDeque;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Exact attention with the tiled online-softmax {@link FlashKernel}, parallel over (batch, query head, query
 * tile) on a {@link WorkerPool} (threads: the pool's, by default {@code -Dha4j.threads} or all cores). Keys
 * and values are packed once per (batch, KV head), tile by tile by whichever unit first needs a tile
 * ({@link KeyTilesOnDemand}), and shared by every query head of the group; a pool run attends one KV group, or
 * several when the queries are too short to give every thread a unit (see {@link #groupsPerRun}). Every output row
 * comes from one unit with a fixed key order, so results are bit-identical for any thread count.
 *
 * <p>Causal units are claimed largest first (the last query tiles see the most keys), so the threads finish
 * together. Scratch (packed keys, one kernel and one output tile per worker) is kept in a small free list and reused,
 * so a warm call allocates only a few hundred bytes of job bookkeeping; concurrent calls take separate scratch.
 * Memory is O((nq + nk)·d) plus O(tile²) per worker: never an nq×nk buffer.
 *
 * <p>{@link NonFinitePolicy#REJECT} is checked on the packed tiles as the workers write them (no separate pass over
 * the inputs); the error names the first non-finite element as {@link AttentionProblem#checkFinite} does, but
 * output rows of units that ran before the bad tile was packed may already have been written.
 */
public final class FlashAttention implements Attention {
    /**
     * Work units per thread a pool run should have before it attends several KV groups at once: 4 lets the causal
     * units, claimed largest first, finish within about a quarter of a unit of each other.
     */
    static final int UNITS_PER_THREAD = 4;
    /**
     * A call of at least this many flops (about 15 ms of compiled work on 2 cores) waits for {@link FlashWarmup}
     * before it starts: run before C2 has compiled the micro-kernels, it would take about 100 times its compiled time,
     * and its threads would take the cores from the compiler (a fresh process's first n = 8192, 4-head call took
     * 16-25 s instead of 0.4-0.8 s, against about 1 s of warm-up). Smaller calls start the warm-up and run at once.
     */
    static final double WAIT_FOR_WARMUP_FLOPS = 1e9;
    /** The packed K/V that the KV groups of one pool run may hold together (see {@link #groupsPerRun}). */
    static final long PACKED_BYTES_PER_RUN = 16L << 20;

    private final WorkerPool pool;
    private final ArrayDeque<Workspace> free = new ArrayDeque<>();   // guarded by itself

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

    /**
     * Per-call scratch: per worker, a kernel with its output and LSE tile and packing scratch; per KV group of a pool
     * run, the packed K/V (grown to the number of groups a run attends at once).
     */
    private static final class Workspace {
        final int dim;
        final FlashKernel[] kernels;
        final float[][] outs;
        final float[][] lses;
        final float[][] packScratch;
        KeyTilesOnDemand[] keyTiles = new KeyTilesOnDemand[0];

        Workspace(int dim, int workers) {
            this.dim = dim;
            this.kernels = new FlashKernel[workers];
            this.outs = new float[workers][];
            this.lses = new float[workers][];
            this.packScratch = new float[workers][];
            for (int w = 0; w < workers; w++) {
                kernels[w] = new FlashKernel(dim);
                outs[w] = new float[TileSizes.Flash.ROW_TILE * dim];
                lses[w] = new float[TileSizes.Flash.ROW_TILE];
                packScratch[w] = new float[PackedKeyValues.scratchLength(dim)];
            }
        }

        /** Packed K/V for {@code groups} KV groups at once (a worker packs one tile at a time: scratch is shared). */
        KeyTilesOnDemand[] keyTiles(int groups) {
            if (keyTiles.length < groups) {
                final KeyTilesOnDemand[] grown = java.util.Arrays.copyOf(keyTiles, groups);
                for (int i = keyTiles.length; i < groups; i++) {
                    grown[i] = new KeyTilesOnDemand(new PackedKeyValues(), packScratch);
                }
                keyTiles = grown;
            }
            return keyTiles;
        }
    }

    private Workspace acquire(int dim) {
        synchronized (free) {
            for (int i = free.size(); i > 0; i--) {
                Workspace w = free.pollFirst();
                if (w.dim == dim) {
                    return w;
                }
                free.addLast(w);
            }
        }
        return new Workspace(dim, pool.threads());
    }

    private void release(Workspace w) {
        synchronized (free) {
            if (free.size() < 4) {
                free.addFirst(w);
            }
        }
    }

    /**
     * How many query tiles to cut nq rows into: enough that none exceeds {@link TileSizes.Flash#ROW_TILE} rows, and,
     * when that
     * costs at most a few more, a count that makes the units of one KV group ({@code groupSize · tiles}) a multiple
     * of the thread count. Fixed 132-row tiles left 4,096 rows as 31 full tiles and one of 4 rows: one of 2 threads
     * then idled for about a sixteenth of the call.
     */
    static int queryTiles(int nq, int groupSize, int threads) {
        final int blocks = (nq + TileSizes.Flash.REGISTER_ROWS - 1) / TileSizes.Flash.REGISTER_ROWS;
        final int fewest = fewestTiles(nq);
        for (int t = fewest; t <= Math.min(blocks, fewest + threads); t++) {
            if ((long) t * groupSize % threads == 0) {
                return t;
            }
        }
        return fewest;
    }

    /** The fewest query tiles nq rows fit in (none larger than {@link TileSizes.Flash#ROW_TILE}). */
    static int fewestTiles(int nq) {
        return (nq + TileSizes.Flash.ROW_TILE - 1) / TileSizes.Flash.ROW_TILE;
    }

    /**
     * How many KV groups ((batch, KV head) pairs) one pool run attends at once: one when a group alone has
     * {@link #UNITS_PER_THREAD} units per thread (long queries: the packed K/V of one group are the only ones in
     * cache), more for shorter queries, so that a decoding-sized call (a few query rows, many heads) uses every
     * thread and the unequal units of a causal call (claimed largest first) even out across the threads. Each group
     * attended at once holds its own packed K/V, so together they stay within {@link #PACKED_BYTES_PER_RUN} (a
     * single group may exceed it: a 131,072-key head still runs alone, as before).
     */
    static int groupsPerRun(int kvGroups, int unitsPerGroup, int threads, long packedBytesPerGroup) {
        final long wanted = (long) UNITS_PER_THREAD * threads;
        final long byUnits = (wanted + unitsPerGroup - 1) / unitsPerGroup;
        final long byMemory = PACKED_BYTES_PER_RUN / Math.max(1, packedBytesPerGroup);
        return (int) Math.max(1, Math.min(kvGroups, Math.min(byUnits, byMemory)));
    }

    /** First row of query tile i of {@code tiles}: tiles are whole register blocks, their sizes differ by at most one. */
    static int tileStart(int i, int tiles, int nq) {
        final int blocks = (nq + TileSizes.Flash.REGISTER_ROWS - 1) / TileSizes.Flash.REGISTER_ROWS;
        return Math.min(nq, (int) ((long) i * blocks / tiles) * TileSizes.Flash.REGISTER_ROWS);
    }

    @Override
    public void forward(AttentionProblem p) {
        // NonFinitePolicy.REJECT: each worker checks the K/V tiles and query rows it packs (cache-hot) instead of a
        // separate serial pass over Q, K and V before the call (4 % of a 2-thread call at n = 4096, d = 64); a unit
        // that finds a non-finite value stops, and the call then names the first bad element (p.checkFinite)
        final boolean reject = p.nonFinite() == NonFinitePolicy.REJECT;
        if (!FlashWarmup.finishedFor(p.headDim())) {
            // the first calls of a process: the kernels are not compiled yet (FlashWarmup)
            if (p.flops() >= WAIT_FOR_WARMUP_FLOPS) {
                FlashWarmup.awaitFor(p.headDim());
            } else {
                FlashWarmup.start();
            }
        }
        final AtomicBoolean nonFinite = new AtomicBoolean();
        final int d = p.headDim(), nq = p.queryLength(), nk = p.keyLength(), g = p.groupSize();
        final int kvGroups = p.batch() * p.kvHeads();
        final int groupsPerRun = groupsPerRun(kvGroups, g * fewestTiles(nq), pool.threads(),
                PackedKeyValues.packedBytes(nk, d));
        final int tiles = queryTiles(nq, g * groupsPerRun, pool.threads());
        final boolean causal = p.causal();
        final int offset = causal ? nk - nq : 0;     // causal mask aligned to the end: row i sees keys j <= i + offset
        final Workspace ws = acquire(d);
        try {
            final KeyTilesOnDemand[] keyTiles = ws.keyTiles(groupsPerRun);
            for (int first = 0; first < kvGroups; first += groupsPerRun) {
                final int groups = Math.min(groupsPerRun, kvGroups - first), firstGroup = first;
                for (int i = 0; i < groups; i++) {
                    final int group = firstGroup + i;     // packed by the units on first use
                    keyTiles[i].reset(p.key(), p.value(), group / p.kvHeads(), group % p.kvHeads(), reject);
                }
                final int unitsPerTile = groups * g;
                pool.run(unitsPerTile * tiles, (worker, unit) -> {
                    int tile = unit / unitsPerTile;
                    if (causal) {
                        tile = tiles - 1 - tile;          // largest first
                    }
                    final int slot = unit % unitsPerTile / g, group = firstGroup + slot;
                    final int bb = group / p.kvHeads(), h = group % p.kvHeads() * g + unit % g;
                    final int q0 = tileStart(tile, tiles, nq), q1 = tileStart(tile + 1, tiles, nq);
                    final FlashKernel kernel = ws.kernels[worker];
                    final float[] out = ws.outs[worker], lse = ws.lses[worker];
                    kernel.packQueries(p.query(), bb, h, null, q0, q1, p.scale());
                    if (reject && (nonFinite.get() || !kernel.queriesFinite())) {
                        nonFinite.set(true);
                        return;
                    }
                    final int diagonal = causal ? q0 + offset : FlashKernel.NO_MASK;
                    final int keyEnd = causal ? Math.max(0, Math.min(nk, q1 + offset)) : nk;
                    final KeyTilesOnDemand kv = keyTiles[slot];
                    if (!kernel.attend(kv.packed(), kv.gate(worker), 0, keyEnd, diagonal, out, 0, lse, 0)) {
                        nonFinite.set(true);
                        return;
                    }
                    final float[] lseOut = p.logSumExp();
                    for (int i = q0; i < q1; i++) {
                        p.output().writeRow(bb, h, i, out, (i - q0) * d);
                        if (lseOut != null) {
                            lseOut[p.lseIndex(bb, h, i)] = lse[i - q0];
                        }
                    }
                });
                boolean sawNonFinite = nonFinite.get();
                for (int i = 0; i < groups; i++) {
                    sawNonFinite |= keyTiles[i].sawNonFinite();
                }
                if (sawNonFinite) {
                    throw nonFiniteError(p);
                }
            }
        } finally {
            release(ws);
        }
    }

    /**
     * The error for a REJECT call whose packed data held a non-finite value: names the first non-finite input
     * element, or (all inputs finite) the query scaling that overflowed.
     */
    private static IllegalArgumentException nonFiniteError(AttentionProblem p) {
        try {
            p.checkFinite();
        } catch (IllegalArgumentException e) {
            return e;
        }
        return new IllegalArgumentException("query · scale · log2(e) overflows float32 (scale " + p.scale()
                + "): use a smaller scale or smaller queries");
    }
}

package dev.hyperattention4j.attention;

import dev.hyperattention4j.kernel.KeyTileGate;
import dev.hyperattention4j.kernel.PackedKeyValues;
import dev.hyperattention4j.kernel.TileSizes;
import dev.hyperattention4j.tensor.FloatTensor;
import java.util.concurrent.atomic.AtomicIntegerArray;

/**
 * The packed key/value tiles of one KV head, packed by whichever worker first needs each tile instead of all before
 * the call. Packing is bandwidth-bound: two threads packing at once took as long as one (n = 4096), while a tile
 * packed by one thread as the other computes costs only its own time. A worker that reaches a tile also claims the
 * next one if nobody has, so the threads of a call, which walk the tiles in step, take turns and rarely wait.
 * The packed data does not depend on which worker packs a tile, so results stay identical for any thread count.
 */
final class KeyTilesOnDemand {
    private static final int UNPACKED = 0, PACKING = 1, PACKED = 2, FAILED = 3;

    private final PackedKeyValues kv;
    private final KeyTileGate[] gates;
    private AtomicIntegerArray state = new AtomicIntegerArray(0);
    private FloatTensor key, value;
    private int b, h, length, tiles;
    private boolean reject;
    private volatile boolean nonFinite;

    /** @param scratch one packing scratch per worker ({@link PackedKeyValues#scratchLength}) */
    KeyTilesOnDemand(PackedKeyValues kv, float[][] scratch) {
        this.kv = kv;
        this.gates = new KeyTileGate[scratch.length];
        for (int w = 0; w < scratch.length; w++) {
            final float[] s = scratch[w];
            gates[w] = tile -> await(tile, s);
        }
    }

    /** Starts a KV head: sizes the packed buffers for head {@code [b][h]} of key and value; no tile is packed yet. */
    void reset(FloatTensor key, FloatTensor value, int b, int h, boolean reject) {
        this.key = key;
        this.value = value;
        this.b = b;
        this.h = h;
        this.reject = reject;
        this.length = key.length();
        this.tiles = (length + TileSizes.Flash.KEY_TILE - 1) / TileSizes.Flash.KEY_TILE;
        kv.prepare(key, value, 0, length);
        if (state.length() < tiles) {
            state = new AtomicIntegerArray(tiles);
        } else {
            for (int t = 0; t < tiles; t++) {
                state.set(t, UNPACKED);
            }
        }
        nonFinite = false;
    }

    /** The packed tiles (valid for a tile once its gate has let a worker through). */
    PackedKeyValues packed() {
        return kv;
    }

    /** The gate worker {@code w} passes to the kernel. */
    KeyTileGate gate(int worker) {
        return gates[worker];
    }

    /** True when a packed tile held a non-finite key or value (with {@link NonFinitePolicy#REJECT}). */
    boolean sawNonFinite() {
        return nonFinite;
    }

    private boolean await(int tile, float[] scratch) {
        int s = state.get(tile);
        if (s != PACKED) {
            if (s == UNPACKED && state.compareAndSet(tile, UNPACKED, PACKING)) {
                pack(tile, scratch);
            }
            while ((s = state.get(tile)) == PACKING) {
                Thread.onSpinWait();           // another worker is packing it: a few microseconds
            }
            if (s == FAILED) {
                return false;
            }
        }
        final int next = tile + 1;
        if (next < tiles && state.get(next) == UNPACKED && state.compareAndSet(next, UNPACKED, PACKING)) {
            pack(next, scratch);
        }
        return !nonFinite;
    }

    /** Packs a claimed tile; if packing throws, the tile is marked failed so that no worker waits for it forever. */
    private void pack(int tile, float[] scratch) {
        int outcome = FAILED;
        try {
            final int from = tile * TileSizes.Flash.KEY_TILE;
            kv.packRange(key, value, b, h, null, 0, from, Math.min(length, from + TileSizes.Flash.KEY_TILE), scratch);
            if (reject && !kv.tileFinite(tile)) {
                nonFinite = true;
            }
            outcome = PACKED;
        } finally {
            state.set(tile, outcome);
        }
    }
}

package dev.hyperattention4j.kernel;

/**
 * Called by {@link FlashKernel#attend} before it reads packed key tile {@code tile}, so that a caller can pack tiles
 * on first use instead of before the call. Returns false to abandon the call (a failure found elsewhere).
 */
@FunctionalInterface
public interface KeyTileGate {
    /** Tiles that are always ready: the keys were packed before the call. */
    KeyTileGate PACKED = tile -> true;

    boolean await(int tile);
}

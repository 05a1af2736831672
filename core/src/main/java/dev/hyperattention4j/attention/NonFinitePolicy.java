package dev.hyperattention4j.attention;

/**
 * What attention does with NaN or infinite inputs.
 *
 * <ul>
 *   <li>{@link #REJECT} (default): Q, K and V are scanned (O(n·d), negligible next to attention) and the first
 *       non-finite element is reported in an {@link IllegalArgumentException} naming the tensor and its index.
 *       {@link FlashAttention} scans the data as it packs it, so a rejected call may have written part of the
 *       output.</li>
 *   <li>{@link #PROPAGATE}: no scan; non-finite values flow through IEEE arithmetic (a NaN in a key row makes every
 *       row that sees it NaN), as in PyTorch.</li>
 * </ul>
 */
public enum NonFinitePolicy {
    REJECT,
    PROPAGATE
}

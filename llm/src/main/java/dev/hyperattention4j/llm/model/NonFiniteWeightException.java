package dev.hyperattention4j.llm.model;

import java.nio.file.Path;

/**
 * A weight tensor holds a NaN or an infinity, found by {@link Model#checkWeights}. The message names the file, the
 * tensor, its element type, the first bad element (flat index and index per dimension) and the value; for Q8_0 and
 * Q4_0 the bad value is a block's f16 scale, and the element is the first of that block. Such a model would produce
 * NaN logits, so it is rejected before any work.
 */
public final class NonFiniteWeightException extends ModelFormatException {
    private static final long serialVersionUID = 1L;

    private final DType type;
    private final long element;
    private final float value;

    public NonFiniteWeightException(Path file, WeightTensor tensor, long element, float value) {
        super(file, tensor.name(), describe(tensor, element, value), -1);
        this.type = tensor.type();
        this.element = element;
        this.value = value;
    }

    private static String describe(WeightTensor tensor, long element, float value) {
        String where = tensor.type() + " element " + element + " (index " + unravel(element, tensor.shape())
                + " of shape " + java.util.Arrays.toString(tensor.shape()) + ")";
        String what = tensor.type().blockSize() > 1
                ? " is not finite: the f16 scale of its block of " + tensor.type().blockSize() + " is " + name(value)
                : " is " + name(value);
        return where + what + "; weights must be finite (a corrupt file, or one saved from a diverged run)";
    }

    /** The flat row-major index as one index per dimension, outermost first: "[3, 17]". */
    static String unravel(long flat, long[] shape) {
        long[] index = new long[shape.length];
        for (int d = shape.length - 1; d >= 0; d--) {
            index[d] = shape[d] == 0 ? 0 : flat % shape[d];
            flat = shape[d] == 0 ? 0 : flat / shape[d];
        }
        return java.util.Arrays.toString(index);
    }

    private static String name(float v) {
        return Float.isNaN(v) ? "NaN" : v > 0 ? "+Inf" : "-Inf";
    }

    /** The tensor's element type. */
    public DType type() { return type; }

    /** Flat row-major index of the first bad element (the first element of the block, for a bad block scale). */
    public long element() { return element; }

    /** The bad value: NaN, +Inf or -Inf (for quantised types, the block scale). */
    public float value() { return value; }
}

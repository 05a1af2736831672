package dev.hyperattention4j.llm.model;

import java.lang.foreign.MemorySegment;

/**
 * A weight tensor in its file's encoding, usually a slice of a memory-mapped file (never copied to the heap).
 * Shapes are listed outermost first, as PyTorch does: a linear layer is {@code [out][in]}, row-major, so row o holds
 * the weights of output o. For quantised types the blocks run along the innermost dimension.
 *
 * @param name  the tensor's name in its file
 * @param type  element encoding
 * @param shape dimensions, outermost first
 * @param data  the encoded bytes, exactly {@code type.bytesFor(elementCount())} long
 */
public record WeightTensor(String name, DType type, long[] shape, MemorySegment data) {
    public long elementCount() {
        long n = 1;
        for (long s : shape) {
            n = Math.multiplyExact(n, s);
        }
        return n;
    }

    public int rows() { return shape.length == 1 ? 1 : Math.toIntExact(shape[0]); }

    public int cols() { return Math.toIntExact(shape[shape.length - 1]); }

    /**
     * Rows {@code [from, to)} of a matrix (or elements of a vector) as a tensor of its own over the same bytes: how
     * fused projections (ChatGLM's QKV, fused gate/up) become the separate matrices the forward pass uses. Blocks of
     * quantised types run along rows, so a row range is always whole blocks.
     */
    public WeightTensor rowSlice(String sliceName, long from, long to) {
        long rows = shape[0];
        if (from < 0 || to > rows || from >= to) {
            throw new IllegalArgumentException("rows [" + from + ", " + to + ") are outside tensor " + name + " with "
                    + rows + " rows");
        }
        long perRow = shape.length == 1 ? 1 : elementCount() / rows;
        long bytesPerRow = type.bytesFor(perRow);
        long[] sliceShape = shape.clone();
        sliceShape[0] = to - from;
        return new WeightTensor(sliceName, type, sliceShape, data.asSlice(from * bytesPerRow,
                (to - from) * bytesPerRow));
    }
}

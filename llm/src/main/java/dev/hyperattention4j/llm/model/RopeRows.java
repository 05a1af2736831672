package dev.hyperattention4j.llm.model;

/**
 * Reorders the rows of a query or key projection from interleaved RoPE pairs (2i, 2i+1), the order of llama2.c and
 * GGUF {@code llama} files, to Hugging Face's rotate-half pairs (i, i + r/2), r the rotary dimensions. It undoes the
 * permutation Hugging Face's conversion scripts apply (head rows viewed as [r/2][2], transposed to [2][r/2]): HF row
 * {@code t·r/2 + i} is interleaved row {@code 2i + t}. Query and key rows move alike, so every q·k product, and
 * with it attention, is unchanged; rows past the rotary dimensions stay in place.
 */
public final class RopeRows {
    private RopeRows() {
    }

    /**
     * The rotate-half position of interleaved row {@code row} within one head: pair member t of pair i (row 2i + t)
     * goes to t·r/2 + i, r = {@code rotaryDims}; rows at or past r keep their place.
     */
    public static int rotateHalfRow(int row, int rotaryDims) {
        return row < rotaryDims ? (row % 2) * (rotaryDims / 2) + row / 2 : row;
    }

    /**
     * Permutes {@code w}, {@code heads} blocks of {@code headDim} rows of {@code cols} values each, in place (a bias
     * is one column).
     */
    public static void toRotateHalf(float[] w, int heads, int headDim, int rotaryDims, int cols) {
        if ((long) heads * headDim * cols != w.length || rotaryDims % 2 != 0 || rotaryDims > headDim) {
            throw new IllegalArgumentException("RoPE row permutation: " + w.length + " values are not " + heads
                    + " heads of " + headDim + " rows of " + cols + " (rotary " + rotaryDims + ")");
        }
        float[] head = new float[rotaryDims * cols];
        for (int h = 0; h < heads; h++) {
            int base = h * headDim * cols;
            System.arraycopy(w, base, head, 0, head.length);
            for (int row = 0; row < rotaryDims; row++) {
                System.arraycopy(head, row * cols, w, base + rotateHalfRow(row, rotaryDims) * cols, cols);
            }
        }
    }
}

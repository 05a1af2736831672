package dev.hyperattention4j.llm.model;

/**
 * Element types of weight tensors. Quantised types keep their packed GGUF block layout in memory and are
 * dequantised inside the kernels that read them.
 * <ul>
 *   <li>Q8_0: blocks of 32 weights = f16 scale + 32 int8 (34 bytes).</li>
 *   <li>Q4_0: blocks of 32 weights = f16 scale + 16 bytes of 4-bit values, low nibbles are weights 0..15 and high
 *       nibbles 16..31, each value minus 8 (18 bytes).</li>
 * </ul>
 */
public enum DType {
    F32(1, 4),
    F16(1, 2),
    BF16(1, 2),
    Q8_0(32, 34),
    Q4_0(32, 18);

    private final int blockSize;
    private final int blockBytes;

    DType(int blockSize, int blockBytes) {
        this.blockSize = blockSize;
        this.blockBytes = blockBytes;
    }

    /** Elements per block (1 for plain types). */
    public int blockSize() { return blockSize; }

    /** Bytes per block. */
    public int blockBytes() { return blockBytes; }

    /** Bytes of {@code elements} values; elements must be a multiple of the block size. */
    public long bytesFor(long elements) {
        if (elements % blockSize != 0) {
            throw new IllegalArgumentException(this + " needs a multiple of " + blockSize + " elements, got " + elements);
        }
        return elements / blockSize * blockBytes;
    }
}

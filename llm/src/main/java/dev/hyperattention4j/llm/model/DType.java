package dev.hyperattention4j.llm.model;

/**
 * Element types of weight tensors. Quantised types keep their packed GGUF block layout in memory and are decoded
 * inside the kernels that read them; the byte layout of each block type is described in its class of
 * {@code dev.hyperattention4j.llm.quant} ({@code BlockQ4_0} ... {@code BlockQ6K}), which also holds its scalar
 * reference decoder. Legacy types have blocks of 32 weights, K-quants super-blocks of 256.
 */
public enum DType {
    F32(1, 4),
    F16(1, 2),
    BF16(1, 2),
    Q8_0(32, 34, 0),
    Q4_0(32, 18, 0),
    Q4_1(32, 20, 0, 2),
    Q5_0(32, 22, 0),
    Q5_1(32, 24, 0, 2),
    Q2_K(256, 84, 80, 82),
    Q3_K(256, 110, 108),
    Q4_K(256, 144, 0, 2),
    Q5_K(256, 176, 0, 2),
    Q6_K(256, 210, 208);

    private final int blockSize;
    private final int blockBytes;
    private final int[] scaleOffsets;

    DType(int blockSize, int blockBytes, int... scaleOffsets) {
        this.blockSize = blockSize;
        this.blockBytes = blockBytes;
        this.scaleOffsets = scaleOffsets;
    }

    /** Elements per block (1 for plain types). */
    public int blockSize() { return blockSize; }

    /** Bytes per block. */
    public int blockBytes() { return blockBytes; }

    /** True for the block-quantised types (everything but F32, F16, BF16). */
    public boolean quantized() { return blockSize > 1; }

    /**
     * Byte offsets, within one block, of the block's f16 scale fields (the scale d and, for the types with a
     * minimum, dmin or m). They are the only fields of a block that can hold a non-finite value: the quants and
     * the sub-block scales of K-quants are integers. Empty for plain types.
     */
    public int[] scaleOffsets() { return scaleOffsets.clone(); }

    /** Bytes of {@code elements} values; elements must be a multiple of the block size. */
    public long bytesFor(long elements) {
        if (elements % blockSize != 0) {
            throw new IllegalArgumentException(this + " needs a multiple of " + blockSize + " elements, got " + elements);
        }
        return elements / blockSize * blockBytes;
    }
}

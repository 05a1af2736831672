package dev.hyperattention4j.kernel;

/**
 * The tile sizes of every exact kernel, in one place. Each nested class belongs to one kernel, and a name means one
 * thing: a <em>tile</em> is what a kernel call or loop step covers, a <em>block</em> what one register-blocked
 * micro-kernel step covers. {@code LANES} is {@link VectorWidth#LANES}. Why each size was chosen is in
 * docs/DESIGN.md and docs/KERNEL.md.
 */
public final class TileSizes {
    private TileSizes() {}

    /** The forward tiled kernel: {@link FlashKernel}, {@link FlashTiles}, {@link PackedKeyValues}. */
    public static final class Flash {
        /** Keys per packed tile (Bc): one step of the online softmax. */
        public static final int KEY_TILE = 128;
        /**
         * Keys per block of the transposed key layout: the 4 vectors of the score micro-kernel. A multiple of
         * 16 (the packing's transpose group) at every vector width, so a transpose group never straddles two blocks.
         */
        public static final int KEY_BLOCK = 4 * VectorWidth.LANES;
        /** Value columns per block: the 4 vectors of the P·V micro-kernel. */
        public static final int VALUE_BLOCK = 4 * VectorWidth.LANES;
        /** Query rows per register block of both micro-kernels. */
        public static final int REGISTER_ROWS = 6;
        /** Query columns per block of the packed query layout: a compile-time row stride. */
        public static final int QUERY_BLOCK = 64;
        /**
         * Query rows per kernel call (Br): 264 = 44 register blocks. Each call streams all packed keys and values
         * (from L3 once they outgrow L2), so larger tiles halve that traffic; 264 rows measured 2-4 % faster than 132
         * on 2 threads, and 64 rows 4 % slower on one.
         */
        public static final int ROW_TILE = 44 * REGISTER_ROWS;

        private Flash() {}
    }

    /** The exact backward kernel: {@link BackwardKernel}, {@link BackwardInputs}. */
    public static final class Backward {
        /** Keys per tile: one micro-kernel row of four vectors spans it. */
        public static final int KEY_BLOCK = 4 * VectorWidth.LANES;
        /** Query rows per tile (Br), a multiple of the micro-kernel's 4 rows. */
        public static final int QUERY_TILE = 128;
        /** Query rows whose dQ partials are held at once; bounds the partial buffers to chunks × 8192 × d floats. */
        public static final int CHUNK_ROWS = 8192;

        private Backward() {}
    }

    /** The row kernel {@link AttentionRow} (lanes along the keys, {@link LaneSum#SPECIES}). */
    public static final class Row {
        /** Independent fma chains of the value sum (key k in chain k mod 4). */
        public static final int CHAINS = 4;

        private Row() {}
    }
}

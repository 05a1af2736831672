package dev.hyperattention4j.attention.hyper;

/**
 * Settings of one HyperAttention layer (docs/DESIGN.md §7). The softmax scale and the causal flag are per call: they
 * come from the {@link dev.hyperattention4j.attention.AttentionProblem}, exactly as for the exact kernels, so the
 * two stay interchangeable behind {@link dev.hyperattention4j.attention.Attention}.
 *
 * @param blockSize      b, keys per block of the sorted order (queries per block: b when nq == nk); &gt;= 1
 * @param sampleSize     m, uniformly sampled residual keys per (batch, head, call); 0 = block-diagonal only
 * @param numProjections r, Gaussian hyperplanes of the LSH (2^r buckets); 0 = plain local blocks; at most
 *                       {@link #MAX_PROJECTIONS}
 * @param minSeqLen      non-causal calls with nq &lt; minSeqLen and causal calls with n &lt;= minSeqLen are exact;
 *                       &gt;= 1
 * @param seed           derives the projection W of layer ℓ from (seed, ℓ) and the samples of call c from
 *                       (seed, ℓ, c)
 * @param layer          ℓ, the layer index mixed into the seed (different layers get different W)
 * @param compat         the reference-compatibility profile (§6), {@link Compat#OFF} by default
 */
public record HyperConfig(int blockSize, int sampleSize, int numProjections, int minSeqLen, long seed, int layer,
                          Compat compat) {
    /** Upper bound of r: 2^16 buckets already exceed any block count that makes sense for n &lt;= 2^24. */
    public static final int MAX_PROJECTIONS = 16;
    public static final long DEFAULT_SEED = 0x5EED_4A77_E117L;

    public HyperConfig {
        if (blockSize <= 0) {
            throw new IllegalArgumentException("blockSize (b) must be >= 1, got " + blockSize);
        }
        if (sampleSize < 0) {
            throw new IllegalArgumentException("sampleSize (m) must be >= 0 (0 = block-diagonal only), got "
                    + sampleSize);
        }
        if (numProjections < 0 || numProjections > MAX_PROJECTIONS) {
            throw new IllegalArgumentException("numProjections (r) must be in [0, " + MAX_PROJECTIONS
                    + "] (0 = plain local blocks), got " + numProjections);
        }
        if (minSeqLen < 1) {
            throw new IllegalArgumentException("minSeqLen must be >= 1, got " + minSeqLen);
        }
        if (layer < 0) {
            throw new IllegalArgumentException("layer must be >= 0, got " + layer);
        }
        if (compat == null) {
            throw new IllegalArgumentException("compat must not be null; use Compat.OFF");
        }
    }

    /** The paper's defaults: b = m = 256, r = 7, minSeqLen = 4096, default seed, layer 0, no compatibility. */
    public static HyperConfig defaults() {
        return new HyperConfig(256, 256, 7, 4096, DEFAULT_SEED, 0, Compat.OFF);
    }

    public HyperConfig withBlockSize(int b) {
        return new HyperConfig(b, sampleSize, numProjections, minSeqLen, seed, layer, compat);
    }

    public HyperConfig withSampleSize(int m) {
        return new HyperConfig(blockSize, m, numProjections, minSeqLen, seed, layer, compat);
    }

    public HyperConfig withNumProjections(int r) {
        return new HyperConfig(blockSize, sampleSize, r, minSeqLen, seed, layer, compat);
    }

    public HyperConfig withMinSeqLen(int n) {
        return new HyperConfig(blockSize, sampleSize, numProjections, n, seed, layer, compat);
    }

    public HyperConfig withSeed(long s) {
        return new HyperConfig(blockSize, sampleSize, numProjections, minSeqLen, s, layer, compat);
    }

    public HyperConfig withLayer(int l) {
        return new HyperConfig(blockSize, sampleSize, numProjections, minSeqLen, seed, l, compat);
    }

    public HyperConfig withCompat(Compat c) {
        return new HyperConfig(blockSize, sampleSize, numProjections, minSeqLen, seed, layer, c);
    }

    /**
     * The reference-compatibility profile (docs/DESIGN.md §6, rows 1-5), for replaying the authors' code. Each switch
     * reverts one deliberate fix; {@link #OFF} is the project's algorithm.
     *
     * @param grayEncoding    sort buckets by the Gray <em>encoding</em> G(bucket) instead of the inverse-Gray rank (row 1)
     * @param countOwnBlock   do not mask sampled keys inside the query's own block: the reference's fp32 CPU path
     *                        (mask "ignore", row 2)
     * @param padKeys         zero padding keys (logit 0, value 0) fill the last key block up to b (row 3)
     * @param epsMerge        merge with {@code c = 1/(1+exp(L2-L1))}, {@code L = L1 - log(c + 1.1920929e-7)} (row 4)
     *
     * <p>Row 5 (mask as the finite float minimum instead of -inf) changes nothing observable here: the block part is
     * never empty, so a row whose samples are all masked contributes weight exp(-3.4e38) = 0 either way.
     */
    public record Compat(boolean grayEncoding, boolean countOwnBlock, boolean padKeys, boolean epsMerge) {
        public static final Compat OFF = new Compat(false, false, false, false);
        /** The reference as the shared test vectors were dumped: Gray rank and own-block mask on, eps merge. */
        public static final Compat REFERENCE_VECTORS = new Compat(false, false, true, true);
        /** The reference's fp32 CPU path as released: Gray encoding, own-block samples counted, padding, eps. */
        public static final Compat REFERENCE_CPU = new Compat(true, true, true, true);
        /** The reference's GPU path (mask "apply"). */
        public static final Compat REFERENCE_GPU = new Compat(true, false, true, true);

        /** The log-sum-exp merge of the parts and levels: exact, or the reference's eps form (row 4). */
        LogSumExpMerge merge() {
            return epsMerge ? LogSumExpMerge.REFERENCE_EPS : LogSumExpMerge.EXACT;
        }

        /** Padding keys in the last block (row 3), or none. */
        KeyPadding padding() {
            return padKeys ? KeyPadding.REFERENCE_ZERO_KEYS : KeyPadding.NONE;
        }

        /** Whether samples in a query's own block count (row 2). */
        OwnBlockSamples ownBlockSamples() {
            return countOwnBlock ? OwnBlockSamples.COUNTED : OwnBlockSamples.MASKED;
        }
    }
}

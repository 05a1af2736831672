package dev.hyperattention4j.cli;

import dev.hyperattention4j.attention.hyper.HyperConfig;
import picocli.CommandLine.Option;

/**
 * HyperAttention's settings, declared once for every command that runs it (a picocli mixin). An unset value takes
 * the paper's default (b = m = 256, r = 7, minSeqLen = 4096); the experiments scale unset b, m and minSeqLen with the
 * sequence length n ({@link #scaledAt}). minSeqLen means what {@link HyperConfig} says, everywhere: causal calls of at
 * most that many tokens, and non-causal calls of fewer query rows, are answered exactly.
 */
public final class HyperAttentionOptions {
    @Range(min = 1, max = 1 << 20)
    @Option(names = {"--hyper-b", "--block"}, paramLabel = "B", description = "HyperAttention block size b, keys per "
            + "block of the sorted order (default: 256; experiments: clamp(n/16, 16, 256)).")
    public Integer blockSize;

    @Range(min = 0, max = 1 << 20)
    @Option(names = {"--hyper-m", "--samples"}, paramLabel = "M", description = "HyperAttention sampled keys m per head "
            + "(default: 256; experiments: like b; 0 = blocks only).")
    public Integer sampleSize;

    @Range(min = 0, max = 16)
    @Option(names = {"--hyper-r", "--projections"}, paramLabel = "R",
            description = "HyperAttention LSH hyperplanes r (default: 7; 0 = plain local blocks).")
    public Integer projections;

    @Range(min = 1, max = 1 << 30)
    @Option(names = {"--hyper-min-seq-len", "--min-seq-len"}, paramLabel = "N", description = "Causal calls of at "
            + "most N tokens, and non-causal calls of fewer than N query rows, stay exact (default: 4096; "
            + "experiments: max(n/8, 2b)).")
    public Integer minSeqLen;

    @AnyValue
    @Option(names = "--hyper-seed", paramLabel = "S", description = "Seed of HyperAttention's projections and samples "
            + "(default: the command's --seed, or a fixed seed for the model commands).")
    public Long seed;

    /** The configuration with the paper's defaults for unset values. */
    public HyperConfig config(long defaultSeed, int layer) {
        HyperConfig d = HyperConfig.defaults();
        return new HyperConfig(or(blockSize, d.blockSize()), or(sampleSize, d.sampleSize()),
                or(projections, d.numProjections()), or(minSeqLen, d.minSeqLen()), seed != null ? seed : defaultSeed,
                layer, HyperConfig.Compat.OFF);
    }

    /**
     * The configuration at sequence length n with unset values scaled as the paper's setting is at 32k (b = m = 256,
     * minSeqLen = 4096 = n/8): b = m = clamp(n/16, 16, 256) and minSeqLen = max(n/8, 2b), so a 512-token context gets
     * b = m = 32, minSeqLen = 64 and 32k gets exactly the paper's values.
     */
    public HyperConfig scaledAt(int n, long defaultSeed) {
        int b = blockSize != null ? blockSize : scaledBlock(n);
        int m = sampleSize != null ? sampleSize : b;
        int n0 = minSeqLen != null ? minSeqLen : Math.max(n / 8, 2 * b);
        return new HyperConfig(b, m, or(projections, HyperConfig.defaults().numProjections()), n0,
                seed != null ? seed : defaultSeed, 0, HyperConfig.Compat.OFF);
    }

    static int scaledBlock(int n) {
        return Math.max(16, Math.min(256, n / 16));
    }

    /** The settings as given, "auto" where the experiments scale them. */
    public String describeScaled() {
        return "b=" + (blockSize == null ? "auto" : blockSize) + " m=" + (sampleSize == null
                ? (blockSize == null ? "auto" : blockSize) : sampleSize) + " r="
                + or(projections, HyperConfig.defaults().numProjections()) + " minSeqLen="
                + (minSeqLen == null ? "auto" : minSeqLen);
    }

    /** The settings with the paper's defaults, for a command's output. */
    public String describe(long defaultSeed) {
        HyperConfig c = config(defaultSeed, 0);
        return "b=" + c.blockSize() + " m=" + c.sampleSize() + " r=" + c.numProjections() + " min_seq_len="
                + c.minSeqLen() + " seed=" + c.seed();
    }

    private static int or(Integer value, int fallback) {
        return value != null ? value : fallback;
    }
}

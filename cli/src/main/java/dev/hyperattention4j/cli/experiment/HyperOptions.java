package dev.hyperattention4j.cli.experiment;

import dev.hyperattention4j.attention.hyper.HyperConfig;
import picocli.CommandLine.Option;

/**
 * HyperAttention's b, m, r and minSeqLen for experiments on sequences of length n. Unset values scale with n as
 * the paper's setting does at 32k (b = m = 256, minSeqLen = 4096 = n/8): b = m = clamp(n/16, 16, 256) and
 * minSeqLen = max(n/8, 2b), so a 512-token context gets b = m = 32, minSeqLen = 64 (three hashed levels of the
 * causal recursion) and 32k gets exactly the paper's values.
 */
public final class HyperOptions {
    @Option(names = "--block", paramLabel = "b", description = "block size b (default: clamp(n/16, 16, 256))")
    Integer block;

    @Option(names = "--samples", paramLabel = "m", description = "sampled keys m (default: like b)")
    Integer samples;

    @Option(names = "--projections", paramLabel = "r", defaultValue = "7", description = "LSH projections r "
            + "(default ${DEFAULT-VALUE})")
    int projections;

    @Option(names = "--min-seq-len", paramLabel = "n0", description = "exact at or below this length "
            + "(default: max(n/8, 2b))")
    Integer minSeqLen;

    /** The configuration used at sequence length n. */
    HyperConfig at(int n, long seed) {
        int b = block != null ? block : scaledBlock(n);
        int m = samples != null ? samples : block != null ? block : scaledBlock(n);
        int n0 = minSeqLen != null ? minSeqLen : Math.max(n / 8, 2 * b);
        return new HyperConfig(b, m, projections, n0, seed, 0, HyperConfig.Compat.OFF);
    }

    static int scaledBlock(int n) {
        return Math.max(16, Math.min(256, n / 16));
    }

    /** For the settings record: what the user asked for ("auto" where scaled). */
    String describe() {
        return "b=" + (block == null ? "auto" : block) + " m=" + (samples == null ? (block == null ? "auto" : block)
                : samples) + " r=" + projections + " minSeqLen=" + (minSeqLen == null ? "auto" : minSeqLen);
    }
}

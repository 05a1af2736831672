package dev.hyperattention4j.attention.hyper;

/**
 * Whether the last key block of a pass is filled up to b keys with zero padding keys (logit 0, value 0). The
 * project never pads; the reference does (compatibility row 3 of docs/DESIGN.md §6), which adds
 * {@code b·blocks − n_k} to the normaliser of the last block's queries and scales their block output down.
 */
enum KeyPadding {
    NONE {
        @Override
        float logPaddingKeys(HyperSchedule.Pass pass, int block) {
            return Float.NEGATIVE_INFINITY;
        }
    },
    REFERENCE_ZERO_KEYS {
        @Override
        float logPaddingKeys(HyperSchedule.Pass pass, int block) {
            int pad = pass.exact() ? 0 : pass.blocks() * pass.keyBlock() - pass.geometry().kTotal();
            return block == pass.blocks() - 1 && pad > 0 ? (float) Math.log(pad) : Float.NEGATIVE_INFINITY;
        }
    };

    /** log of the padding keys block {@code block} of the pass sees, or −∞ for none. */
    abstract float logPaddingKeys(HyperSchedule.Pass pass, int block);

    /**
     * Adds {@code exp(logPad)} keys of logit 0 and value 0 to the block part of rows {@code [0, rows)}: each row's
     * normaliser grows by that count, so its output shrinks by {@code exp(L − L')}.
     */
    static void addPaddingKeys(float logPad, float[] out, float[] lse, int rows, int d) {
        for (int r = 0; r < rows; r++) {
            float l = LogSumExpMerge.logAddExp(lse[r], logPad);
            float f = (float) Math.exp(lse[r] - l);
            for (int k = 0; k < d; k++) {
                out[r * d + k] *= f;
            }
            lse[r] = l;
        }
    }
}

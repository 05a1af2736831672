package dev.hyperattention4j.attention.hyper;

/**
 * Which samples of the residual part a query of block t sees. The project masks the samples that fall in the
 * query's own block, whose keys the block part already counts exactly (docs/DESIGN.md §2.3); the reference's fp32
 * CPU path counts them a second time (compatibility row 2 of §6).
 */
enum OwnBlockSamples {
    MASKED {
        @Override
        boolean sees(HyperSchedule.Pass pass, int samplePosition, int block) {
            return pass.blockOfKey(samplePosition) != block;
        }
    },
    COUNTED {
        @Override
        boolean sees(HyperSchedule.Pass pass, int samplePosition, int block) {
            return true;
        }
    };

    /** Whether queries of block {@code block} see the sample at sorted key position {@code samplePosition}. */
    abstract boolean sees(HyperSchedule.Pass pass, int samplePosition, int block);
}

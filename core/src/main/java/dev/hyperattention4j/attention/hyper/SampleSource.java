package dev.hyperattention4j.attention.hyper;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.List;

/**
 * Where the residual part's sampled key indices come from (docs/DESIGN.md §3). Every HyperAttention call that reaches
 * the residual part takes exactly one draw of shape {@code [B][H_call][m]}, values uniform in {@code [0, n_k)}
 * (positions in the <em>sorted</em> key order), consumed batch, head, sample. The causal recursion draws in post-order,
 * deepest approximated level first. Draws are taken on the calling thread before any parallel work, so results do
 * not depend on the thread count.
 */
public interface SampleSource {

    /** One draw: {@code batch·heads·m} indices in {@code [0, keyLength)}, laid out {@code [batch][heads][m]}. */
    int[] draw(int batch, int heads, int m, int keyLength);

    /** Called when a forward call ends; a replay source fails here when draws are left over. */
    default void finish() {}

    /**
     * The seeded source: SplitMix64 started from {@code mix(seed, layer, call)}; index = Lemire's unbiased
     * multiply-shift rejection on the high 32 bits of each output. The mapping is part of the contract.
     */
    static SampleSource seeded(long seed, int layer, long call) {
        return new Seeded(SplitMix64.mix(SplitMix64.mix(seed ^ 0x9E3779B97F4A7C15L * (layer + 1L)) + call));
    }

    /** A replay queue of recorded draws, each {@code [batch][heads][m]} flattened; fails on missing or extra draws. */
    static SampleSource replay(List<int[]> draws) {
        return new Replay(draws);
    }

    /** SplitMix64 (Steele, Lea, Flood 2014): fixed in-tree so that seeds mean the same thing everywhere. */
    final class SplitMix64 {
        private long state;

        public SplitMix64(long seed) {
            this.state = seed;
        }

        public long next() {
            return mix(state += 0x9E3779B97F4A7C15L);
        }

        static long mix(long z) {
            z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
            z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
            return z ^ (z >>> 31);
        }

        /** Uniform in {@code [0, bound)} without bias (Lemire 2019, 32-bit multiply-shift with rejection). */
        public int nextInt(int bound) {
            if (bound <= 0) {
                throw new IllegalArgumentException("bound must be > 0, got " + bound);
            }
            long threshold = (1L << 32) % bound;
            while (true) {
                long product = (next() >>> 32) * bound;
                if ((product & 0xFFFF_FFFFL) >= threshold) {
                    return (int) (product >>> 32);
                }
            }
        }
    }

    /** See {@link #seeded}. */
    final class Seeded implements SampleSource {
        private final SplitMix64 random;

        Seeded(long state) {
            this.random = new SplitMix64(state);
        }

        @Override
        public int[] draw(int batch, int heads, int m, int keyLength) {
            int[] out = new int[Math.multiplyExact(Math.multiplyExact(batch, heads), m)];
            for (int i = 0; i < out.length; i++) {
                out[i] = random.nextInt(keyLength);
            }
            return out;
        }
    }

    /** See {@link #replay}. */
    final class Replay implements SampleSource {
        private final ArrayDeque<int[]> queue;
        private int taken;

        Replay(List<int[]> draws) {
            this.queue = new ArrayDeque<>(draws);
        }

        @Override
        public int[] draw(int batch, int heads, int m, int keyLength) {
            int[] next = queue.poll();
            if (next == null) {
                throw new IllegalStateException("replay: draw " + taken + " of shape [" + batch + "][" + heads + "]["
                        + m + "] requested but only " + taken + " draws were recorded");
            }
            if (next.length != batch * heads * m) {
                throw new IllegalStateException("replay: draw " + taken + " has " + next.length
                        + " indices; the call expects [" + batch + "][" + heads + "][" + m + "] = " + batch * heads * m);
            }
            for (int v : next) {
                if (v < 0 || v >= keyLength) {
                    throw new IllegalStateException("replay: draw " + taken + " holds index " + v
                            + " outside [0, " + keyLength + ")");
                }
            }
            taken++;
            return Arrays.copyOf(next, next.length);
        }

        @Override
        public void finish() {
            if (!queue.isEmpty()) {
                throw new IllegalStateException("replay: " + queue.size() + " recorded draws left over after "
                        + taken + " were used");
            }
        }
    }
}

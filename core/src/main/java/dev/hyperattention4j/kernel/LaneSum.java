package dev.hyperattention4j.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The sum of a vector's lanes as a fixed tree of lane-wise adds, and its scalar twin. {@code reduceLanes(ADD)} may
 * associate differently in interpreted and compiled code, so a result would depend on JIT timing; this does not.
 *
 * <p>The row kernels ({@link AttentionRow}, {@link FixedExp}) and the LLM runtime's element-wise kernels use
 * {@link #SPECIES}, the CPU's preferred width, not {@link VectorWidth#FLOAT}: the model goldens are bit-exact, and
 * their bits depend on the lane count.
 */
public final class LaneSum {
    /** The species of the row kernels and the LLM runtime. */
    public static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    private static final int W = SPECIES.length();

    /**
     * The lane rotations of {@link #sum}, in a holder class: creating shuffles initialises much of the Vector API
     * (tens of ms), which the scalar cold-start paths must not wait for.
     */
    static final class Rotations {
        static final VectorShuffle<Float> R8 = VectorShuffle.iota(SPECIES, 8 % W, 1, true);
        static final VectorShuffle<Float> R4 = VectorShuffle.iota(SPECIES, 4 % W, 1, true);
        static final VectorShuffle<Float> R2 = VectorShuffle.iota(SPECIES, 2 % W, 1, true);
        static final VectorShuffle<Float> R1 = VectorShuffle.iota(SPECIES, 1, 1, true);
        /** Rotations by W/2, W/4, ..., 1 for other widths. */
        static final VectorShuffle<Float>[] ALL = rotations(SPECIES);

        private Rotations() {
        }
    }

    /**
     * The lane rotations of the sum tree of {@code species}: by W/2, W/4, ..., 1 lanes (W its lane count), in the
     * order the tree applies them.
     */
    public static VectorShuffle<Float>[] rotations(VectorSpecies<Float> species) {
        int w = species.length();
        @SuppressWarnings("unchecked")
        VectorShuffle<Float>[] all = new VectorShuffle[Integer.numberOfTrailingZeros(w)];
        for (int i = 0, shift = w / 2; shift >= 1; i++, shift /= 2) {
            all[i] = VectorShuffle.iota(species, shift, 1, true);
        }
        return all;
    }

    private LaneSum() {
    }

    /**
     * Sum of the lanes: lane i += lane i + W/2, then + W/4, ..., lane 0 is the result. The 16-lane case uses
     * constant shuffles, which C2 folds.
     */
    public static float sum(FloatVector v) {
        if (W == 16) {
            v = v.add(v.rearrange(Rotations.R8));
            v = v.add(v.rearrange(Rotations.R4));
            v = v.add(v.rearrange(Rotations.R2));
            v = v.add(v.rearrange(Rotations.R1));
            return v.lane(0);
        }
        for (VectorShuffle<Float> r : Rotations.ALL) {
            v = v.add(v.rearrange(r));
        }
        return v.lane(0);
    }

    /** {@link #sum} of W lane values held in an array (bit-identical; the array is overwritten). */
    public static float sumScalar(float[] lanes) {
        float[] next = new float[W];
        for (int sh = W / 2; sh >= 1; sh /= 2) {
            for (int i = 0; i < W; i++) {
                next[i] = lanes[i] + lanes[(i + sh) % W];
            }
            System.arraycopy(next, 0, lanes, 0, W);
        }
        return lanes[0];
    }
}

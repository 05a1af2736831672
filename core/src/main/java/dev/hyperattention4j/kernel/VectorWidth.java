package dev.hyperattention4j.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The float species every kernel uses, chosen once per JVM: {@code -Dha4j.vectorBits=128|256|512} forces a width
 * (so the kernels can be tested at widths other than this CPU's), {@code 0} or absent means
 * {@link FloatVector#SPECIES_PREFERRED}. Kernels copy {@link #FLOAT} into their own {@code static final} field so
 * C2 sees a constant species and keeps the vector code monomorphic.
 */
public final class VectorWidth {
    /** The system property that forces the vector width in bits. */
    public static final String PROPERTY = "ha4j.vectorBits";

    /** The selected species. */
    public static final VectorSpecies<Float> FLOAT = select(Integer.getInteger(PROPERTY, 0));

    /** Float lanes per vector of {@link #FLOAT}. */
    public static final int LANES = FLOAT.length();

    private VectorWidth() {}

    static VectorSpecies<Float> select(int bits) {
        int preferred = FloatVector.SPECIES_PREFERRED.vectorBitSize();
        if (bits == 0) {
            return FloatVector.SPECIES_PREFERRED;
        }
        if (bits != 128 && bits != 256 && bits != 512) {
            throw new IllegalArgumentException("-D" + PROPERTY + "=" + bits + " must be 0 (preferred), 128, 256 or 512");
        }
        if (bits > preferred) {
            // A species wider than the hardware's runs on the Java fallback path, about 100x slower: refuse.
            throw new IllegalArgumentException("-D" + PROPERTY + "=" + bits + " exceeds this CPU's preferred vector width "
                    + preferred + " bits");
        }
        return VectorSpecies.of(float.class, VectorShape.forBitSize(bits));
    }

    /** A one-line description for benchmark headers, e.g. "512-bit (16 float lanes), forced" . */
    public static String describe() {
        return FLOAT.vectorBitSize() + "-bit (" + LANES + " float lanes)"
                + (Integer.getInteger(PROPERTY, 0) != 0 ? ", forced by -D" + PROPERTY : ", preferred");
    }
}

package dev.hyperattention4j.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Measures this machine's FP32 fused-multiply-add throughput from Java: 16 independent accumulator chains of
 * {@code a = a·b + c} on the kernels' species (peak needs 12-16 chains to cover FMA latency × ports; more make C2
 * spill). Each FMA counts 2 flops per lane. The benchmark reports attention speed as a fraction of this figure.
 */
public final class FmaPeakProbe {
    static final VectorSpecies<Float> SPECIES = VectorWidth.FLOAT;
    /** Flops per inner iteration: 16 FMAs × lanes × 2. */
    public static final long FLOPS_PER_ITERATION = 16L * 2 * VectorWidth.LANES;

    private FmaPeakProbe() {}

    /**
     * Runs {@code iterations} rounds of 16 FMAs and returns a value depending on every accumulator (so the JIT
     * cannot drop the loop). The chains converge to 1.0, so no denormals or overflow slow them down.
     */
    public static float spin(long iterations, float seed) {
        FloatVector b = FloatVector.broadcast(SPECIES, 0.999999f);
        FloatVector c = FloatVector.broadcast(SPECIES, 1e-6f);
        FloatVector a0 = FloatVector.broadcast(SPECIES, seed), a1 = a0.add(0.01f), a2 = a0.add(0.02f);
        FloatVector a3 = a0.add(0.03f), a4 = a0.add(0.04f), a5 = a0.add(0.05f), a6 = a0.add(0.06f);
        FloatVector a7 = a0.add(0.07f), a8 = a0.add(0.08f), a9 = a0.add(0.09f), a10 = a0.add(0.10f);
        FloatVector a11 = a0.add(0.11f), a12 = a0.add(0.12f), a13 = a0.add(0.13f), a14 = a0.add(0.14f);
        FloatVector a15 = a0.add(0.15f);
        for (long i = 0; i < iterations; i++) {
            a0 = a0.fma(b, c); a1 = a1.fma(b, c); a2 = a2.fma(b, c); a3 = a3.fma(b, c);
            a4 = a4.fma(b, c); a5 = a5.fma(b, c); a6 = a6.fma(b, c); a7 = a7.fma(b, c);
            a8 = a8.fma(b, c); a9 = a9.fma(b, c); a10 = a10.fma(b, c); a11 = a11.fma(b, c);
            a12 = a12.fma(b, c); a13 = a13.fma(b, c); a14 = a14.fma(b, c); a15 = a15.fma(b, c);
        }
        FloatVector s = a0.add(a1).add(a2).add(a3).add(a4).add(a5).add(a6).add(a7)
                .add(a8).add(a9).add(a10).add(a11).add(a12).add(a13).add(a14).add(a15);
        return s.lane(0);
    }
}

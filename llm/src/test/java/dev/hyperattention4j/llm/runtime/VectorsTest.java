package dev.hyperattention4j.llm.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.api.Test;

class VectorsTest {

    /**
     * The element-wise kernels give the same bits before and after C2 compiles them (the interpreter runs the
     * Vector API's Java fallback, C2 its intrinsics; lanewise(EXP) differs between the two, so they use FixedExp).
     */
    @Test
    void compiledKernelsGiveTheBitsOfInterpretedOnes() {
        Random r = new Random(3);
        float[] gate = new float[100], up = new float[100];
        for (int i = 0; i < 100; i++) {
            gate[i] = (float) r.nextGaussian() * 3f;
            up[i] = (float) r.nextGaussian();
        }
        float[] g1 = gate.clone();
        Vectors.siluMul(g1, 0, up.clone(), 0, 100);
        double lseLogits = Vectors.logSumExp(gate, 0, 100);
        for (int i = 0; i < 30_000; i++) {
            float[] g2 = gate.clone();
            Vectors.siluMul(g2, 0, up.clone(), 0, 100);
            Vectors.logSumExp(gate, 0, 100);
        }
        float[] g2 = gate.clone();
        Vectors.siluMul(g2, 0, up.clone(), 0, 100);
        assertThat(g2).containsExactly(g1);
        assertThat(Vectors.logSumExp(gate, 0, 100)).isEqualTo(lseLogits);
    }
}

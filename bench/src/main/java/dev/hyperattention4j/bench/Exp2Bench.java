package dev.hyperattention4j.bench;

import dev.hyperattention4j.kernel.FastExp2;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/** 2^x over 16,384 softmax arguments in [-87, 0] (in L1): the polynomial against scalar {@code Math.exp}. */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 2, jvmArgsAppend = "--add-modules=jdk.incubator.vector")
public class Exp2Bench {
    static final int N = 16_384;
    float[] x = new float[N], y = new float[N];

    @Setup
    public void setup() {
        Random r = new Random(1);
        for (int i = 0; i < N; i++) {
            x[i] = -87f * r.nextFloat();
        }
    }

    @Benchmark
    public float[] fastExp2() {
        FastExp2.exp2(x, y, 0, N);
        return y;
    }

    @Benchmark
    public float[] scalarMathExp() {
        for (int i = 0; i < N; i++) {
            y[i] = (float) Math.exp(x[i] * 0.6931471805599453);
        }
        return y;
    }
}

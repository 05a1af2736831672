package dev.hyperattention4j.bench;

import static dev.hyperattention4j.kernel.TileSizes.Flash.KEY_TILE;
import static dev.hyperattention4j.kernel.TileSizes.Flash.QUERY_BLOCK;
import static dev.hyperattention4j.kernel.TileSizes.Flash.ROW_TILE;

import dev.hyperattention4j.kernel.FlashKernel;
import dev.hyperattention4j.kernel.FlashTiles;
import dev.hyperattention4j.kernel.PackedKeyValues;
import dev.hyperattention4j.kernel.TileSizes;
import dev.hyperattention4j.kernel.VectorWidth;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The three phases of one {@link TileSizes.Flash#ROW_TILE} (264)-query × 128-key step of the flash kernel, each alone,
 * data in cache: the Q·Kᵀ tile (2·264·128·d flops), the online-softmax update (264·128 exponentials) and the P·V
 * tile (2·264·128·d flops). GFLOP/s of a matmul phase = 2·264·128·d / (µs per op) / 1000.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 2, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-XX:ObjectAlignmentInBytes=64"})
public class FlashTilesBench {
    static final int ROWS = ROW_TILE, T = KEY_TILE;

    @Param({"64", "128"})
    int d;

    float[] q, kT, laneMax, v, o, m, laneSum;
    float[][] s, scoresCopy, p;
    int dp;

    @Setup
    public void setup() {
        Random r = new Random(1);
        dp = PackedKeyValues.valueStride(d);
        // queries in column blocks of QUERY_BLOCK, as FlashKernel packs them
        q = fill(r, new float[(d + QUERY_BLOCK - 1) / QUERY_BLOCK * ROWS * QUERY_BLOCK]);
        // packed tiles start at PackedKeyValues.BASE and scratch at FlashTiles.BASE (cache-line aligned when the
        // JVM allows it), as in the kernel
        kT = fill(r, new float[PackedKeyValues.BASE + d * T]);
        v = fill(r, new float[PackedKeyValues.BASE + T * dp]);
        s = FlashTiles.scoreBlocks(ROWS);
        laneMax = new float[FlashTiles.BASE + ROWS * VectorWidth.LANES];
        o = new float[FlashTiles.BASE + ROWS * dp];
        m = new float[ROWS];
        laneSum = new float[FlashTiles.BASE + ROWS * VectorWidth.LANES];
        FlashTiles.scoreTile(q, 0, ROWS * QUERY_BLOCK, 0, ROWS, d, kT, PackedKeyValues.BASE, Long.MAX_VALUE / 2,
                s, laneMax);
        scoresCopy = copy(s);
        p = copy(s);
        FlashTiles.softmaxTile(p, laneMax, 0, ROWS, m, laneSum, o, dp);   // probabilities for valueTile
    }

    private static float[][] copy(float[][] blocks) {
        final float[][] c = new float[blocks.length][];
        for (int i = 0; i < blocks.length; i++) {
            c[i] = blocks[i].clone();
        }
        return c;
    }

    private static float[] fill(Random r, float[] x) {
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        return x;
    }

    @Benchmark
    public float[][] scoreTile() {
        FlashTiles.scoreTile(q, 0, ROWS * QUERY_BLOCK, 0, ROWS, d, kT, PackedKeyValues.BASE, Long.MAX_VALUE / 2,
                s, laneMax);
        return s;
    }

    /** Includes restoring the scores (a 132 KiB copy), since the update works in place. */
    @Benchmark
    public float[] softmaxUpdate() {
        for (int i = 0; i < s.length; i++) {
            System.arraycopy(scoresCopy[i], 0, s[i], 0, s[i].length);
        }
        Arrays.fill(m, 0f);   // a max below the tile's: every row takes the rescale path (and rescales its output row)
        FlashTiles.softmaxTile(s, laneMax, 0, ROWS, m, laneSum, o, dp);
        return laneSum;
    }

    @Benchmark
    public float[] valueTile() {
        FlashTiles.valueTile(p, 0, ROWS, v, PackedKeyValues.BASE, dp, Long.MAX_VALUE / 2, o);
        return o;
    }
}

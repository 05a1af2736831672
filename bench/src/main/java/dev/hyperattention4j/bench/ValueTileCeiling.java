package dev.hyperattention4j.bench;

import dev.hyperattention4j.kernel.FlashKernel;
import dev.hyperattention4j.kernel.FlashTiles;
import dev.hyperattention4j.kernel.FmaPeakProbe;
import dev.hyperattention4j.kernel.PackedKeyValues;
import dev.hyperattention4j.kernel.TileSizes;
import java.util.Random;

/**
 * The Java half of {@code scripts/microkernel-ceiling}: the exact kernel's P·V phase ({@link FlashTiles#valueTile},
 * one ROW_TILE × 128-key tile at d = 64, the same work as {@code bench/native/pv_microkernel.c}) timed against the
 * FMA probe in the same process, one line per round. Arguments: rounds (default 3).
 */
public final class ValueTileCeiling {
    private static final int D = 64, ROWS = TileSizes.Flash.ROW_TILE, KEYS = TileSizes.Flash.KEY_TILE;

    private ValueTileCeiling() {}

    public static void main(String[] args) {
        final int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 3;
        final Random random = new Random(1);
        final float[][] p = FlashTiles.scoreBlocks(ROWS);
        final float[] v = new float[PackedKeyValues.BASE + KEYS * D];
        final float[] o = new float[FlashTiles.BASE + ROWS * D];
        for (float[] block : p) {
            for (int i = FlashTiles.BASE; i < block.length; i++) {
                block[i] = random.nextFloat() * 1e-3f;
            }
        }
        for (int i = 0; i < v.length; i++) {
            v[i] = random.nextFloat() * 1e-3f;
        }
        float sink = 0;
        for (int round = -2; round < rounds; round++) {          // two rounds of warm-up for the JIT
            final long iterations = 20_000_000;
            long t0 = System.nanoTime();
            sink += FmaPeakProbe.spin(iterations, round);
            final double peak = (double) iterations * FmaPeakProbe.FLOPS_PER_ITERATION / (System.nanoTime() - t0);
            long tiles = 0;
            t0 = System.nanoTime();
            long elapsed;
            do {
                FlashTiles.valueTile(p, 0, ROWS, v, PackedKeyValues.BASE, D, FlashKernel.NO_MASK, o);
                tiles++;
            } while ((elapsed = System.nanoTime() - t0) < 600_000_000L);
            final double rate = tiles * 2.0 * ROWS * KEYS * D / elapsed;
            if (round >= 0) {
                System.out.printf("%-22s probe %.1f GFLOP/s, P.V block %.1f GFLOP/s = %.1f %% of the probe%n",
                        "Java (C2):", peak, rate, 100 * rate / peak);
            }
        }
        System.err.printf("(checksum %g)%n", sink + o[FlashTiles.BASE]);
    }
}

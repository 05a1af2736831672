package dev.hyperattention4j.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hyperattention4j.tensor.FloatTensor;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@link HyperBlockKernel} against a float64 oracle of what it computes: one softmax per query row over its block's
 * keys (weight 1), the samples outside the hole (weight e^{logWeight}) and an optional prior result (O, L), i.e.
 * {@code D = Σ_block e^{s·q·k} + w·Σ_samples e^{s·q·k} + e^{L_prior}}, {@code O = (Σ e·v + w·Σ e·v + e^{L_prior}·O_prior)
 * / D}, {@code L = ln D}.
 */
class HyperBlockKernelTest {
    private static final float SCALE = 0.125f;

    private static FloatTensor random(Random r, int n, int d, double sigma) {
        float[] x = new float[n * d];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (sigma * r.nextGaussian());
        }
        return FloatTensor.of(x, 1, 1, n, d);
    }

    private static int[] identity(int n) {
        int[] rows = new int[n];
        for (int i = 0; i < n; i++) {
            rows[i] = i;
        }
        return rows;
    }

    /**
     * rows, d, block keys, samples (0: no sample part), hole [from, to), prior (-1: none, 0: finite, 1: empty).
     * Covers a partial last key tile, d with two query column blocks and a value tail (80), a hole that crosses a
     * tile boundary, an empty hole, a hole that hides every sample, and rows that pad a register block.
     */
    @ParameterizedTest
    @CsvSource({
        "256, 64, 256, 256, 3, 5, -1",
        "256, 64, 200, 254, 120, 131, 0",
        "7, 64, 256, 256, 0, 0, 0",
        "50, 80, 130, 100, 90, 100, -1",
        "64, 16, 256, 256, 0, 256, 0",
        "33, 64, 256, 0, 0, 0, 0",
        "12, 64, 64, 256, 10, 12, 1",
    })
    void matchesTheFloat64MergeOfItsParts(int rows, int d, int blockKeys, int samples, int hole0, int hole1,
                                          int prior) {
        Random r = new Random(rows * 31L + d + blockKeys + samples);
        FloatTensor q = random(r, rows, d, 1), k1 = random(r, blockKeys, d, 1), v1 = random(r, blockKeys, d, 1);
        FloatTensor k2 = random(r, Math.max(1, samples), d, 1), v2 = random(r, Math.max(1, samples), d, 1);
        if (hole1 > hole0) {
            // a hidden sample far larger than every visible logit: it must not move any row's max
            float[] row = new float[d];
            q.readRow(0, 0, 0, row, 0);
            for (int c = 0; c < d; c++) {
                row[c] *= 400;
            }
            k2.writeRow(0, 0, hole0, row, 0);
        }
        FloatTensor o3 = random(r, rows, d, 1);
        float[] l3 = new float[rows];
        for (int i = 0; i < rows; i++) {
            l3[i] = prior == 1 ? Float.NEGATIVE_INFINITY : (float) (5 + r.nextGaussian());
        }
        float logWeight = 4.2f;

        HyperBlockKernel kernel = new HyperBlockKernel(d);
        PackedKeyValues block = new PackedKeyValues(), sampled = new PackedKeyValues();
        block.pack(k1, v1, 0, 0, identity(blockKeys), 0, blockKeys);
        kernel.packQueries(q, 0, 0, identity(rows), 0, rows, SCALE);
        kernel.blockPart(block, blockKeys);
        if (samples > 0) {
            sampled.pack(k2, v2, 0, 0, identity(samples), 0, samples);
            kernel.samplePart(sampled, samples, hole0, hole1);
        }
        float[] out = new float[rows * d], lse = new float[rows];
        kernel.finish(logWeight, prior >= 0 ? o3.toArray() : null, prior >= 0 ? l3 : null, out, 0, lse, 0);

        double worst = 0, worstL = 0, scaleO = 0;
        for (int i = 0; i < rows; i++) {
            double[] num = new double[d];
            double[] logits = new double[blockKeys + samples + 1];
            double max = Double.NEGATIVE_INFINITY;
            int n = 0;
            for (int j = 0; j < blockKeys; j++, n++) {
                logits[n] = SCALE * dot(q, i, k1, j, d);
                max = Math.max(max, logits[n]);
            }
            for (int j = 0; j < samples; j++, n++) {
                boolean hidden = j >= hole0 && j < hole1;
                logits[n] = hidden ? Double.NEGATIVE_INFINITY : SCALE * dot(q, i, k2, j, d) + logWeight;
                max = Math.max(max, logits[n]);
            }
            logits[n] = prior >= 0 ? l3[i] : Double.NEGATIVE_INFINITY;
            max = Math.max(max, logits[n]);
            double den = 0;
            for (int j = 0; j <= n; j++) {
                double e = Math.exp(logits[j] - max);
                den += e;
                for (int c = 0; c < d; c++) {
                    double v = j < blockKeys ? v1.get(0, 0, j, c) : j < n ? v2.get(0, 0, j - blockKeys, c)
                            : o3.get(0, 0, i, c);
                    num[c] += e * v;
                }
            }
            for (int c = 0; c < d; c++) {
                double expected = num[c] / den;
                worst = Math.max(worst, Math.abs(out[i * d + c] - expected));
                scaleO = Math.max(scaleO, Math.abs(expected));
            }
            worstL = Math.max(worstL, Math.abs(lse[i] - (max + Math.log(den))));
        }
        assertThat(worst / scaleO).as("max output error / max |O|").isLessThan(2e-6);
        assertThat(worstL).as("max log-sum-exp error").isLessThan(2e-5);
    }

    /**
     * Queries read in place from an array (the fast path), from a memory segment and through a column stride of 2
     * (the row-copy paths) give the same bits, in a permuted row order; d = 80 has two query column blocks and d = 20
     * a vector tail at every width.
     */
    @ParameterizedTest
    @CsvSource({"64", "80", "20"})
    void packsQueriesAlikeFromEveryTensorLayout(int d) {
        int rows = 40, keys = 100;
        Random r = new Random(d);
        FloatTensor q = random(r, rows, d, 1), k = random(r, keys, d, 1), v = random(r, keys, d, 1);
        float[] data = q.toArray(), wide = new float[2 * data.length];
        for (int i = 0; i < data.length; i++) {
            wide[2 * i] = data[i];
        }
        FloatTensor fromSegment = FloatTensor.of(java.lang.foreign.MemorySegment.ofArray(data.clone()), 0, 1, 1, rows, d);
        FloatTensor strided = FloatTensor.strided(wide, 0, new int[] {1, 1, rows, d},
                new long[] {2L * rows * d, 2L * rows * d, 2L * d, 2});
        assertThat(q.rowArray()).isNotNull();
        assertThat(fromSegment.rowArray()).isNull();
        assertThat(strided.rowArray()).isNull();
        int[] order = identity(rows);
        for (int i = rows - 1; i > 0; i--) {
            int j = r.nextInt(i + 1), t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        PackedKeyValues kv = new PackedKeyValues();
        kv.pack(k, v, 0, 0, identity(keys), 0, keys);
        float[][] outs = new float[3][];
        FloatTensor[] layouts = {q, fromSegment, strided};
        for (int t = 0; t < 3; t++) {
            HyperBlockKernel kernel = new HyperBlockKernel(d);
            kernel.packQueries(layouts[t], 0, 0, order, 0, rows, SCALE);
            kernel.blockPart(kv, keys);
            outs[t] = new float[rows * d + rows];
            kernel.finish(0f, null, null, outs[t], 0, outs[t], rows * d);
        }
        assertThat(outs[1]).isEqualTo(outs[0]);
        assertThat(outs[2]).isEqualTo(outs[0]);
        assertThat(outs[0]).doesNotContain(Float.NaN);
    }

    private static double dot(FloatTensor a, int i, FloatTensor b, int j, int d) {
        double s = 0;
        for (int c = 0; c < d; c++) {
            s += (double) a.get(0, 0, i, c) * b.get(0, 0, j, c);
        }
        return s;
    }

    @ParameterizedTest
    @CsvSource({"5, 3", "-1, 2", "0, 300"})
    void refusesAHoleOutsideTheSamples(int from, int to) {
        HyperBlockKernel kernel = new HyperBlockKernel(16);
        FloatTensor x = random(new Random(1), 256, 16, 1);
        PackedKeyValues kv = new PackedKeyValues();
        kv.pack(x, x, 0, 0, identity(256), 0, 256);
        kernel.packQueries(x, 0, 0, identity(6), 0, 6, SCALE);
        assertThatThrownBy(() -> kernel.samplePart(kv, 256, from, to)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("hole");
    }

    /**
     * A short last key tile (b or m below KEY_TILE, or a partial last block) is scored, exponentiated and summed over
     * its key blocks only; the result must be the bits of the whole-tile path, where the same keys sit in a full
     * tile and the rest is hidden (here: the sample part over a longer pack with the rest as its hole, weight 1).
     */
    @ParameterizedTest
    @CsvSource({"64, 1", "64, 17", "64, 64", "64, 65", "64, 127", "64, 200", "80, 30", "16, 100", "7, 48"})
    void aShortLastTileGivesTheBitsOfAMaskedWholeTile(int rows, int keys) {
        int d = rows == 80 ? 80 : 64, whole = FlashKernel.roundUp(keys, TileSizes.Flash.KEY_TILE);
        Random r = new Random(keys * 7L + rows);
        FloatTensor q = random(r, rows, d, 1), k = random(r, whole, d, 1), v = random(r, whole, d, 1);
        PackedKeyValues shortPack = new PackedKeyValues(), wholePack = new PackedKeyValues();
        shortPack.pack(k, v, 0, 0, identity(keys), 0, keys);
        wholePack.pack(k, v, 0, 0, identity(whole), 0, whole);
        float[] out1 = new float[rows * d], lse1 = new float[rows], out2 = new float[rows * d], lse2 = new float[rows];
        HyperBlockKernel kernel = new HyperBlockKernel(d);
        kernel.packQueries(q, 0, 0, identity(rows), 0, rows, SCALE);
        kernel.blockPart(shortPack, keys);
        kernel.finish(0f, null, null, out1, 0, lse1, 0);
        kernel.packQueries(q, 0, 0, identity(rows), 0, rows, SCALE);
        kernel.blockPart(wholePack, 0);
        kernel.samplePart(wholePack, whole, keys, whole);
        kernel.finish(0f, null, null, out2, 0, lse2, 0);
        for (int i = 0; i < out1.length; i++) {
            assertThat(Float.floatToRawIntBits(out1[i])).as("output %d", i).isEqualTo(Float.floatToRawIntBits(out2[i]));
        }
        for (int i = 0; i < rows; i++) {
            assertThat(Float.floatToRawIntBits(lse1[i])).as("lse %d", i).isEqualTo(Float.floatToRawIntBits(lse2[i]));
        }
    }
}

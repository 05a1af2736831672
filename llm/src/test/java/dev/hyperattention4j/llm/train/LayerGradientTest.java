package dev.hyperattention4j.llm.train;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hyperattention4j.llm.model.ModelConfig;
import dev.hyperattention4j.llm.model.RopeScaling;
import dev.hyperattention4j.llm.model.RopeStyle;
import dev.hyperattention4j.llm.testing.TestPools;
import dev.hyperattention4j.runtime.WorkerPool;
import java.util.SplittableRandom;
import java.util.function.ToDoubleFunction;
import org.junit.jupiter.api.Test;

/**
 * Each layer's float32 backward against float64 central differences of the same layer computed in double, with
 * the loss {@code Σ r·y} for a random r (so dy = r): relative error per gradient ≤ 1e-3.
 */
class LayerGradientTest {
    private static final double H = 1e-6, TOLERANCE = 1e-3;
    private final SplittableRandom random = new SplittableRandom(3);

    private float[] randoms(int n, double scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) ((random.nextDouble() - 0.5) * 2 * scale);
        }
        return a;
    }

    /** Central differences of {@code loss} over every entry of {@code x} (held as double while perturbed). */
    private static double[] centralDifferences(float[] x, ToDoubleFunction<double[]> loss) {
        double[] xd = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            xd[i] = x[i];
        }
        double[] g = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            double keep = xd[i];
            xd[i] = keep + H;
            double up = loss.applyAsDouble(xd);
            xd[i] = keep - H;
            double down = loss.applyAsDouble(xd);
            xd[i] = keep;
            g[i] = (up - down) / (2 * H);
        }
        return g;
    }

    private static void check(String what, float[] actual, double[] expected) {
        double err = TinyTraining.relativeError(actual, expected);
        assertTrue(err <= TOLERANCE, what + ": relative error " + err);
    }

    private static double[] d(float[] a) {
        double[] r = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            r[i] = a[i];
        }
        return r;
    }

    @Test
    void rmsNorm() {
        int tokens = 3, n = 24;
        float[] x = randoms(tokens * n, 2), w = randoms(n, 1), r = randoms(tokens * n, 1);
        float eps = 1e-5f;
        float[] inv = new float[tokens], y = new float[tokens * n], dx = new float[tokens * n], dw = new float[n];
        for (int t = 0; t < tokens; t++) {
            inv[t] = RmsNorm.forward(x, t * n, w, eps, y, t * n, n);
            RmsNorm.backward(x, t * n, w, inv[t], r, t * n, dx, t * n, n);
        }
        RmsNorm.weightGradient(x, inv, r, tokens, n, dw, 0, n);
        double[] rd = d(r), wd = d(w), xd = d(x);
        ToDoubleFunction<double[]> byX = xs -> normLoss(xs, wd, rd, tokens, n, eps);
        ToDoubleFunction<double[]> byW = ws -> normLoss(xd, ws, rd, tokens, n, eps);
        check("RMSNorm dx", dx, centralDifferences(x, byX));
        check("RMSNorm dw", dw, centralDifferences(w, byW));
    }

    private static double normLoss(double[] x, double[] w, double[] r, int tokens, int n, double eps) {
        double loss = 0;
        for (int t = 0; t < tokens; t++) {
            double ss = 0;
            for (int i = 0; i < n; i++) {
                ss += x[t * n + i] * x[t * n + i];
            }
            double inv = 1 / Math.sqrt(ss / n + eps);
            for (int i = 0; i < n; i++) {
                loss += r[t * n + i] * x[t * n + i] * inv * w[i];
            }
        }
        return loss;
    }

    @Test
    void ropeEveryStyleAndScaling() {
        RopeScaling[] scalings = {RopeScaling.NONE, RopeScaling.linear(3), RopeScaling.dynamic(2, 3),
                RopeScaling.yarn(4, 4, 32, 1), RopeScaling.llama3(8, 4, 1, 4),
                RopeScaling.divisors(new float[] {1, 2, 5})};
        for (RopeStyle style : RopeStyle.values()) {
            for (RopeScaling s : scalings) {
                int rotary = s.type() == RopeScaling.Type.DIVISORS ? 6 : 4;
                ModelConfig c = new ModelConfig("safetensors", "llama", 16, 8, 1, 2, 2, 8, 5, 64, 1e-5f, 500f, style,
                        false, false, 1, 2, dev.hyperattention4j.llm.model.BlockLayout.LLAMA, rotary, s, 0);
                int positions = 6, width = 16;
                RopeTable rope = new RopeTable(c, positions);
                float[] x = randoms(positions * width, 1), r = randoms(positions * width, 1);
                float[] grad = r.clone();
                for (int p = 0; p < positions; p++) {
                    rope.backward(grad, p * width, 2, p);
                }
                // the double forward: the runtime's frequencies, rotated in double
                double[] inv = dev.hyperattention4j.llm.runtime.Rope.inverseFrequencies(500, rotary, s, positions);
                double m = s.attentionFactor();
                double[] rd = d(r);
                double[] fd = centralDifferences(x, xs -> {
                    double loss = 0;
                    for (int p = 0; p < positions; p++) {
                        double[] y = java.util.Arrays.copyOfRange(xs, p * width, p * width + width);
                        for (int h = 0; h < 2; h++) {
                            for (int i = 0; i < rotary / 2; i++) {
                                int ia = style == RopeStyle.INTERLEAVED ? h * 8 + 2 * i : h * 8 + i;
                                int ib = style == RopeStyle.INTERLEAVED ? ia + 1 : h * 8 + rotary / 2 + i;
                                double cc = Math.cos(p * inv[i]) * m, sn = Math.sin(p * inv[i]) * m;
                                double a = y[ia], b = y[ib];
                                y[ia] = a * cc - b * sn;
                                y[ib] = a * sn + b * cc;
                            }
                        }
                        for (int i = 0; i < width; i++) {
                            loss += rd[p * width + i] * y[i];
                        }
                    }
                    return loss;
                });
                check("RoPE " + style + " " + s.describe(), grad, fd);
            }
        }
    }

    @Test
    void swiGlu() {
        int n = 40;
        float[] g = randoms(n, 4), u = randoms(n, 2), r = randoms(n, 1);
        float[] dg = new float[n], du = new float[n];
        SwiGlu.backward(g, u, r, dg, du, 0, n);
        double[] rd = d(r), gd = d(g), ud = d(u);
        check("SwiGLU dg", dg, centralDifferences(g, gs -> swiGluLoss(gs, ud, rd)));
        check("SwiGLU du", du, centralDifferences(u, us -> swiGluLoss(gd, us, rd)));
    }

    private static double swiGluLoss(double[] g, double[] u, double[] r) {
        double loss = 0;
        for (int i = 0; i < g.length; i++) {
            loss += r[i] * g[i] / (1 + Math.exp(-g[i])) * u[i];
        }
        return loss;
    }

    @Test
    void crossEntropy() {
        int vocab = 17, target = 5;
        float[] logits = randoms(vocab, 4);
        float[] grad = logits.clone();
        CrossEntropy.lossAndGradient(grad, 0, vocab, target, 0.25f, true);
        check("cross-entropy", grad, centralDifferences(logits, z -> {
            double max = Double.NEGATIVE_INFINITY, sum = 0;
            for (double v : z) {
                max = Math.max(max, v);
            }
            for (double v : z) {
                sum += Math.exp(v - max);
            }
            return 0.25 * (max + Math.log(sum) - z[target]);
        }));
    }

    /** y = x·Wᵀ through the panels: dx and dW on 1 and 2 threads, with rows and columns not multiples of 16. */
    @Test
    void linear() {
        int tokens = 70, in = 19, out = 37;
        float[] x = randoms(tokens * in, 1), w = randoms(out * in, 1), r = randoms(tokens * out, 1);
        double[] rd = d(r), wd = d(w), xd = d(x);
        double[] fdx = centralDifferences(x, xs -> linearLoss(xs, wd, rd, tokens, in, out));
        double[] fdw = centralDifferences(w, ws -> linearLoss(xd, ws, rd, tokens, in, out));
        for (WorkerPool pool : new WorkerPool[] {new WorkerPool(1), TestPools.twoThreads()}) {
            float[] y = new float[tokens * out];
            Matmul.apply(Matmul.panel(w, out, in), x, tokens, y, false, pool);
            double[] yd = new double[tokens * out];
            for (int t = 0; t < tokens; t++) {
                for (int o = 0; o < out; o++) {
                    for (int k = 0; k < in; k++) {
                        yd[t * out + o] += xd[t * in + k] * wd[o * in + k];
                    }
                }
            }
            check("linear forward", y, yd);
            float[] dx = new float[tokens * in], dw = new float[out * in];
            Matmul.apply(Matmul.transposedPanel(w, out, in), r, tokens, dx, false, pool);
            Matmul.weightGradient(r, x, tokens, out, in, dw, pool);
            check("linear dx", dx, fdx);
            check("linear dW", dw, fdw);
        }
    }

    private static double linearLoss(double[] x, double[] w, double[] r, int tokens, int in, int out) {
        double loss = 0;
        for (int t = 0; t < tokens; t++) {
            for (int o = 0; o < out; o++) {
                double s = 0;
                for (int k = 0; k < in; k++) {
                    s += x[t * in + k] * w[o * in + k];
                }
                loss += r[t * out + o] * s;
            }
        }
        return loss;
    }
}

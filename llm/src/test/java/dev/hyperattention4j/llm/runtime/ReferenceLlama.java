package dev.hyperattention4j.llm.runtime;

import dev.hyperattention4j.llm.model.ModelConfig;
import dev.hyperattention4j.llm.model.RopeStyle;

/**
 * A deliberately plain float64 Llama forward pass over a whole sequence (O(n²) scores, no caching, no SIMD): the
 * oracle the runtime is compared with. Written from the model's definition, independently of the runtime.
 */
final class ReferenceLlama {
    private ReferenceLlama() {
    }

    /** Logits [n][vocab] after every token. */
    static double[][] logits(SyntheticModel m, int[] tokens) {
        return logits(m, tokens, 0);
    }

    /** As {@link #logits(SyntheticModel, int[])} with query t seeing keys (t − window, t] when window > 0. */
    static double[][] logits(SyntheticModel m, int[] tokens, int window) {
        ModelConfig c = m.config;
        int n = tokens.length, d = c.dim(), hd = c.headDim(), qd = c.heads() * hd, kvd = c.kvHeads() * hd;
        double[][] x = new double[n][d];
        for (int t = 0; t < n; t++) {
            for (int i = 0; i < d; i++) {
                x[t][i] = m.values.get("emb")[tokens[t] * d + i];
            }
        }
        for (int l = 0; l < c.layers(); l++) {
            double[][] q = new double[n][], k = new double[n][], v = new double[n][];
            for (int t = 0; t < n; t++) {
                double[] xn = norm(x[t], m.values.get("an" + l), c.normEps());
                q[t] = add(matvec(m.values.get("wq" + l), qd, d, xn), m.values.get("bq" + l));
                k[t] = add(matvec(m.values.get("wk" + l), kvd, d, xn), m.values.get("bk" + l));
                v[t] = add(matvec(m.values.get("wv" + l), kvd, d, xn), m.values.get("bv" + l));
                rope(q[t], c.heads(), hd, t, c.ropeTheta(), c.ropeStyle());
                rope(k[t], c.kvHeads(), hd, t, c.ropeTheta(), c.ropeStyle());
            }
            for (int t = 0; t < n; t++) {
                double[] o = new double[qd];
                for (int h = 0; h < c.heads(); h++) {
                    int kvh = h / (c.heads() / c.kvHeads());
                    double[] s = new double[t + 1];
                    double max = Double.NEGATIVE_INFINITY;
                    int first = window > 0 ? Math.max(0, t - window + 1) : 0;
                    for (int j = first; j <= t; j++) {
                        for (int e = 0; e < hd; e++) {
                            s[j] += q[t][h * hd + e] * k[j][kvh * hd + e];
                        }
                        s[j] /= Math.sqrt(hd);
                        max = Math.max(max, s[j]);
                    }
                    double sum = 0;
                    for (int j = first; j <= t; j++) {
                        s[j] = Math.exp(s[j] - max);
                        sum += s[j];
                    }
                    for (int j = first; j <= t; j++) {
                        for (int e = 0; e < hd; e++) {
                            o[h * hd + e] += s[j] / sum * v[j][kvh * hd + e];
                        }
                    }
                }
                double[] proj = matvec(m.values.get("wo" + l), d, qd, o);
                for (int i = 0; i < d; i++) {
                    x[t][i] += proj[i];
                }
                double[] xn = norm(x[t], m.values.get("fn" + l), c.normEps());
                double[] g = matvec(m.values.get("w1" + l), c.hiddenDim(), d, xn);
                double[] u = matvec(m.values.get("w3" + l), c.hiddenDim(), d, xn);
                for (int i = 0; i < g.length; i++) {
                    g[i] = g[i] / (1 + Math.exp(-g[i])) * u[i];
                }
                double[] down = matvec(m.values.get("w2" + l), d, c.hiddenDim(), g);
                for (int i = 0; i < d; i++) {
                    x[t][i] += down[i];
                }
            }
        }
        double[][] logits = new double[n][];
        float[] out = m.values.get(c.tiedEmbeddings() ? "emb" : "out");
        for (int t = 0; t < n; t++) {
            logits[t] = matvec(out, c.vocabSize(), d, norm(x[t], m.values.get("norm"), c.normEps()));
        }
        return logits;
    }

    private static double[] norm(double[] x, float[] w, double eps) {
        double ss = 0;
        for (double v : x) {
            ss += v * v;
        }
        double inv = 1 / Math.sqrt(ss / x.length + eps);
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = x[i] * inv * w[i];
        }
        return out;
    }

    private static double[] matvec(float[] w, int rows, int cols, double[] x) {
        double[] y = new double[rows];
        for (int o = 0; o < rows; o++) {
            double s = 0;
            for (int k = 0; k < cols; k++) {
                s += w[o * cols + k] * x[k];
            }
            y[o] = s;
        }
        return y;
    }

    private static double[] add(double[] a, float[] b) {
        if (b != null) {
            for (int i = 0; i < a.length; i++) {
                a[i] += b[i];
            }
        }
        return a;
    }

    private static void rope(double[] v, int heads, int hd, int pos, double theta, RopeStyle style) {
        for (int h = 0; h < heads; h++) {
            for (int i = 0; i < hd / 2; i++) {
                double angle = pos / Math.pow(theta, 2.0 * i / hd);
                int a = style == RopeStyle.INTERLEAVED ? h * hd + 2 * i : h * hd + i;
                int b = style == RopeStyle.INTERLEAVED ? a + 1 : a + hd / 2;
                double x0 = v[a], x1 = v[b];
                v[a] = x0 * Math.cos(angle) - x1 * Math.sin(angle);
                v[b] = x0 * Math.sin(angle) + x1 * Math.cos(angle);
            }
        }
    }
}

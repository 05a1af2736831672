package dev.hyperattention4j.llm.train;

import dev.hyperattention4j.llm.model.ModelConfig;
import dev.hyperattention4j.llm.model.RopeStyle;
import dev.hyperattention4j.llm.runtime.Rope;
import java.util.List;

/**
 * The float64 oracle of training: a naive, loop-by-loop Llama forward pass (exact causal attention with a full
 * score matrix) and its hand-derived backward pass, over parameters held as double arrays in the order of
 * {@link LlamaParameters#tensors()}. Tests check its gradient against central differences of its own loss, then
 * the float32 production path against it.
 */
final class ReferenceTraining {
    private final ModelConfig c;
    private final int dim, hd, heads, kvHeads, qDim, kvDim, hid, vocab, half;
    private final double[] cos, sin;

    ReferenceTraining(ModelConfig c, int n) {
        this.c = c;
        dim = c.dim();
        hd = c.headDim();
        heads = c.heads();
        kvHeads = c.kvHeads();
        qDim = heads * hd;
        kvDim = kvHeads * hd;
        hid = c.hiddenDim();
        vocab = c.vocabSize();
        half = c.rotaryDims() / 2;
        double[] inv = Rope.inverseFrequencies(c.ropeTheta(), c.rotaryDims(), c.ropeScaling(), n);
        double m = c.ropeScaling().attentionFactor();
        cos = new double[n * half];
        sin = new double[n * half];
        for (int p = 0; p < n; p++) {
            for (int i = 0; i < half; i++) {
                cos[p * half + i] = Math.cos(p * inv[i]) * m;
                sin[p * half + i] = Math.sin(p * inv[i]) * m;
            }
        }
    }

    /** The parameters of {@code p} as doubles, in tensor order. */
    static double[][] toDouble(LlamaParameters p) {
        List<LlamaParameters.Tensor> ts = p.tensors();
        double[][] out = new double[ts.size()][];
        for (int i = 0; i < out.length; i++) {
            float[] f = ts.get(i).data();
            out[i] = new double[f.length];
            for (int k = 0; k < f.length; k++) {
                out[i][k] = f[k];
            }
        }
        return out;
    }

    /** Index helper: tensor positions in {@link LlamaParameters#tensors()} order. */
    private record Layout(int perLayer, boolean bias, boolean tied) {
        int layer(int l) { return 1 + l * perLayer; }
    }

    private Layout layout() {
        boolean bias = c.attentionBias();
        return new Layout(bias ? 12 : 9, bias, c.tiedEmbeddings());
    }

    private double[] norm(double[] x, int off, double[] w, double[] invOut, int t) {
        double ss = 0;
        for (int i = 0; i < dim; i++) {
            ss += x[off + i] * x[off + i];
        }
        double r = 1 / Math.sqrt(ss / dim + c.normEps());
        invOut[t] = r;
        double[] y = new double[dim];
        for (int i = 0; i < dim; i++) {
            y[i] = x[off + i] * r * w[i];
        }
        return y;
    }

    private void rope(double[] buf, int off, int nh, int pos, double dir) {
        for (int h = 0; h < nh; h++) {
            int base = off + h * hd;
            for (int i = 0; i < half; i++) {
                double cc = cos[pos * half + i], s = dir * sin[pos * half + i];
                int ia = c.ropeStyle() == RopeStyle.INTERLEAVED ? base + 2 * i : base + i;
                int ib = c.ropeStyle() == RopeStyle.INTERLEAVED ? ia + 1 : base + half + i;
                double a = buf[ia], b = buf[ib];
                buf[ia] = a * cc - b * s;
                buf[ib] = a * s + b * cc;
            }
        }
    }

    /** y[t][o] = Σ_k x[t][k]·w[o][k]. */
    private static double[] mm(double[] x, int n, int in, double[] w, int out) {
        double[] y = new double[n * out];
        for (int t = 0; t < n; t++) {
            for (int o = 0; o < out; o++) {
                double s = 0;
                for (int k = 0; k < in; k++) {
                    s += x[t * in + k] * w[o * in + k];
                }
                y[t * out + o] = s;
            }
        }
        return y;
    }

    /** dx[t][k] += Σ_o dy[t][o]·w[o][k]; dw[o][k] += Σ_t dy[t][o]·x[t][k]. */
    private static void mmBack(double[] dy, double[] x, int n, int in, double[] w, int out, double[] dx, double[] dw) {
        for (int t = 0; t < n; t++) {
            for (int o = 0; o < out; o++) {
                double g = dy[t * out + o];
                for (int k = 0; k < in; k++) {
                    dx[t * in + k] += g * w[o * in + k];
                    dw[o * in + k] += g * x[t * in + k];
                }
            }
        }
    }

    private static double sigmoid(double z) {
        return 1 / (1 + Math.exp(-z));
    }

    /** Loss (mean NLL of tokens[1..n]) and, when grad is not null, its gradient added into grad. */
    double run(double[][] p, int[] tokens, int n, double[][] grad) {
        Layout L = layout();
        int layers = c.layers();
        double[][] xIn = new double[layers][], n1 = new double[layers][], inv1 = new double[layers][];
        double[][] q = new double[layers][], k = new double[layers][], v = new double[layers][];
        double[][] prob = new double[layers][], att = new double[layers][], hs = new double[layers][];
        double[][] n2 = new double[layers][], inv2 = new double[layers][], g = new double[layers][];
        double[][] u = new double[layers][], a = new double[layers][];
        double[] x = new double[n * dim];
        for (int t = 0; t < n; t++) {
            System.arraycopy(p[0], tokens[t] * dim, x, t * dim, dim);
        }
        int group = heads / kvHeads;
        double sc = 1 / Math.sqrt(hd);
        for (int l = 0; l < layers; l++) {
            int b = L.layer(l);
            double[] wn1 = p[b], wq = p[b + 1], wk = p[b + 2], wv = p[b + 3];
            int o = L.bias() ? b + 7 : b + 4;
            double[] wo = p[o], wn2 = p[o + 1], wg = p[o + 2], wu = p[o + 3], wd = p[o + 4];
            xIn[l] = x.clone();
            inv1[l] = new double[n];
            n1[l] = new double[n * dim];
            for (int t = 0; t < n; t++) {
                System.arraycopy(norm(x, t * dim, wn1, inv1[l], t), 0, n1[l], t * dim, dim);
            }
            q[l] = mm(n1[l], n, dim, wq, qDim);
            k[l] = mm(n1[l], n, dim, wk, kvDim);
            v[l] = mm(n1[l], n, dim, wv, kvDim);
            for (int t = 0; t < n; t++) {
                if (L.bias()) {
                    for (int i = 0; i < qDim; i++) q[l][t * qDim + i] += p[b + 4][i];
                    for (int i = 0; i < kvDim; i++) k[l][t * kvDim + i] += p[b + 5][i];
                    for (int i = 0; i < kvDim; i++) v[l][t * kvDim + i] += p[b + 6][i];
                }
                rope(q[l], t * qDim, heads, t, 1);
                rope(k[l], t * kvDim, kvHeads, t, 1);
            }
            prob[l] = new double[heads * n * n];
            att[l] = new double[n * qDim];
            for (int h = 0; h < heads; h++) {
                int kh = h / group;
                for (int i = 0; i < n; i++) {
                    double max = Double.NEGATIVE_INFINITY;
                    double[] s = new double[i + 1];
                    for (int j = 0; j <= i; j++) {
                        double d = 0;
                        for (int e = 0; e < hd; e++) {
                            d += q[l][i * qDim + h * hd + e] * k[l][j * kvDim + kh * hd + e];
                        }
                        s[j] = d * sc;
                        max = Math.max(max, s[j]);
                    }
                    double sum = 0;
                    for (int j = 0; j <= i; j++) {
                        s[j] = Math.exp(s[j] - max);
                        sum += s[j];
                    }
                    for (int j = 0; j <= i; j++) {
                        double pr = s[j] / sum;
                        prob[l][(h * n + i) * n + j] = pr;
                        for (int e = 0; e < hd; e++) {
                            att[l][i * qDim + h * hd + e] += pr * v[l][j * kvDim + kh * hd + e];
                        }
                    }
                }
            }
            double[] delta = mm(att[l], n, qDim, wo, dim);
            for (int i = 0; i < n * dim; i++) {
                x[i] += delta[i];
            }
            hs[l] = x.clone();
            inv2[l] = new double[n];
            n2[l] = new double[n * dim];
            for (int t = 0; t < n; t++) {
                System.arraycopy(norm(x, t * dim, wn2, inv2[l], t), 0, n2[l], t * dim, dim);
            }
            g[l] = mm(n2[l], n, dim, wg, hid);
            u[l] = mm(n2[l], n, dim, wu, hid);
            a[l] = new double[n * hid];
            for (int i = 0; i < n * hid; i++) {
                a[l][i] = g[l][i] * sigmoid(g[l][i]) * u[l][i];
            }
            delta = mm(a[l], n, hid, wd, dim);
            for (int i = 0; i < n * dim; i++) {
                x[i] += delta[i];
            }
        }
        int fn = L.layer(layers);
        double[] invF = new double[n];
        double[] nf = new double[n * dim];
        for (int t = 0; t < n; t++) {
            System.arraycopy(norm(x, t * dim, p[fn], invF, t), 0, nf, t * dim, dim);
        }
        int head = L.tied() ? 0 : fn + 1;
        double[] logits = mm(nf, n, dim, p[head], vocab);
        double loss = 0;
        double[] dlogits = new double[n * vocab];
        for (int t = 0; t < n; t++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < vocab; j++) max = Math.max(max, logits[t * vocab + j]);
            double sum = 0;
            for (int j = 0; j < vocab; j++) sum += Math.exp(logits[t * vocab + j] - max);
            double lse = max + Math.log(sum);
            loss += lse - logits[t * vocab + tokens[t + 1]];
            for (int j = 0; j < vocab; j++) dlogits[t * vocab + j] = Math.exp(logits[t * vocab + j] - lse) / n;
            dlogits[t * vocab + tokens[t + 1]] -= 1.0 / n;
        }
        loss /= n;
        if (grad == null) {
            return loss;
        }
        double[] dnf = new double[n * dim];
        mmBack(dlogits, nf, n, dim, p[head], vocab, dnf, grad[head]);
        double[] dx = new double[n * dim];
        normBack(x, p[fn], invF, dnf, n, dx, grad[fn]);
        for (int l = layers - 1; l >= 0; l--) {
            int b = L.layer(l);
            int o = L.bias() ? b + 7 : b + 4;
            double[] da = new double[n * hid];
            mmBack(dx, a[l], n, hid, p[o + 4], dim, da, grad[o + 4]);
            double[] dg = new double[n * hid], du = new double[n * hid];
            for (int i = 0; i < n * hid; i++) {
                double s = sigmoid(g[l][i]);
                dg[i] = da[i] * u[l][i] * s * (1 + g[l][i] * (1 - s));
                du[i] = da[i] * g[l][i] * s;
            }
            double[] dn2 = new double[n * dim];
            mmBack(dg, n2[l], n, dim, p[o + 2], hid, dn2, grad[o + 2]);
            mmBack(du, n2[l], n, dim, p[o + 3], hid, dn2, grad[o + 3]);
            double[] dh = dx.clone();
            normBack(hs[l], p[o + 1], inv2[l], dn2, n, dh, grad[o + 1]);
            double[] datt = new double[n * qDim];
            mmBack(dh, att[l], n, qDim, p[o], dim, datt, grad[o]);
            double[] dq = new double[n * qDim], dk = new double[n * kvDim], dv = new double[n * kvDim];
            for (int h = 0; h < heads; h++) {
                int kh = h / group;
                for (int i = 0; i < n; i++) {
                    double[] dp = new double[i + 1];
                    double dot = 0;
                    for (int j = 0; j <= i; j++) {
                        double pr = prob[l][(h * n + i) * n + j];
                        double s = 0;
                        for (int e = 0; e < hd; e++) {
                            s += datt[i * qDim + h * hd + e] * v[l][j * kvDim + kh * hd + e];
                            dv[j * kvDim + kh * hd + e] += pr * datt[i * qDim + h * hd + e];
                        }
                        dp[j] = s;
                        dot += pr * s;
                    }
                    for (int j = 0; j <= i; j++) {
                        double ds = prob[l][(h * n + i) * n + j] * (dp[j] - dot) * sc;
                        for (int e = 0; e < hd; e++) {
                            dq[i * qDim + h * hd + e] += ds * k[l][j * kvDim + kh * hd + e];
                            dk[j * kvDim + kh * hd + e] += ds * q[l][i * qDim + h * hd + e];
                        }
                    }
                }
            }
            for (int t = 0; t < n; t++) {
                rope(dq, t * qDim, heads, t, -1);
                rope(dk, t * kvDim, kvHeads, t, -1);
            }
            if (L.bias()) {
                for (int t = 0; t < n; t++) {
                    for (int i = 0; i < qDim; i++) grad[b + 4][i] += dq[t * qDim + i];
                    for (int i = 0; i < kvDim; i++) grad[b + 5][i] += dk[t * kvDim + i];
                    for (int i = 0; i < kvDim; i++) grad[b + 6][i] += dv[t * kvDim + i];
                }
            }
            double[] dn1 = new double[n * dim];
            mmBack(dq, n1[l], n, dim, p[b + 1], qDim, dn1, grad[b + 1]);
            mmBack(dk, n1[l], n, dim, p[b + 2], kvDim, dn1, grad[b + 2]);
            mmBack(dv, n1[l], n, dim, p[b + 3], kvDim, dn1, grad[b + 3]);
            dx = dh.clone();
            normBack(xIn[l], p[b], inv1[l], dn1, n, dx, grad[b]);
        }
        for (int t = 0; t < n; t++) {
            for (int i = 0; i < dim; i++) {
                grad[0][tokens[t] * dim + i] += dx[t * dim + i];
            }
        }
        return loss;
    }

    /** RMSNorm backward over n rows: dx += ..., dw += .... */
    private void normBack(double[] x, double[] w, double[] inv, double[] dy, int n, double[] dx, double[] dw) {
        for (int t = 0; t < n; t++) {
            double r = inv[t], dot = 0;
            for (int i = 0; i < dim; i++) {
                dot += dy[t * dim + i] * w[i] * x[t * dim + i];
                dw[i] += dy[t * dim + i] * x[t * dim + i] * r;
            }
            for (int i = 0; i < dim; i++) {
                dx[t * dim + i] += r * dy[t * dim + i] * w[i] - r * r * r * x[t * dim + i] * dot / dim;
            }
        }
    }

    static double[][] zerosLike(double[][] p) {
        double[][] z = new double[p.length][];
        for (int i = 0; i < p.length; i++) {
            z[i] = new double[p[i].length];
        }
        return z;
    }
}

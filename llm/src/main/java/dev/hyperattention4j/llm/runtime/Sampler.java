package dev.hyperattention4j.llm.runtime;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Picks the next token from logits: greedy (argmax) when the temperature is 0, otherwise a draw from
 * {@code softmax(logits / temperature)} restricted to the {@code topK} most likely tokens (0 = all) and then to
 * the smallest set whose probability reaches {@code topP} (1 = all). Seeded, so a run is reproducible. Not
 * thread-safe; scratch is allocated once per vocabulary size.
 */
public final class Sampler {
    /** Sampling settings, validated. */
    public record Settings(float temperature, int topK, float topP, long seed) {
        public Settings {
            if (!(temperature >= 0) || !Float.isFinite(temperature)) {
                throw new IllegalArgumentException("temperature must be finite and >= 0, got " + temperature);
            }
            if (topK < 0) {
                throw new IllegalArgumentException("top-k must be >= 0 (0 = no limit), got " + topK);
            }
            if (!(topP > 0 && topP <= 1)) {
                throw new IllegalArgumentException("top-p must be in (0, 1], got " + topP);
            }
        }

        public static Settings greedy() {
            return new Settings(0f, 0, 1f, 0);
        }

        public boolean isGreedy() {
            return temperature == 0f;
        }
    }

    private final Settings settings;
    private final SplittableRandom random;
    private float[] probs = new float[0];
    private Integer[] order = new Integer[0];

    public Sampler(Settings settings) {
        this.settings = settings;
        this.random = new SplittableRandom(settings.seed());
    }

    public Settings settings() {
        return settings;
    }

    /** Index of the largest of {@code logits[0, n)} (the first one on ties). */
    public static int argmax(float[] logits, int n) {
        int best = 0;
        for (int i = 1; i < n; i++) {
            if (logits[i] > logits[best]) {
                best = i;
            }
        }
        return best;
    }

    public int sample(float[] logits, int vocab) {
        if (settings.isGreedy()) {
            return argmax(logits, vocab);
        }
        if (probs.length < vocab) {
            probs = new float[vocab];
            order = new Integer[vocab];
        }
        float max = logits[argmax(logits, vocab)];
        double sum = 0;
        for (int i = 0; i < vocab; i++) {
            probs[i] = (float) Math.exp((logits[i] - max) / settings.temperature());
            sum += probs[i];
        }
        for (int i = 0; i < vocab; i++) {
            probs[i] /= (float) sum;
        }
        int k = settings.topK() == 0 ? vocab : Math.min(settings.topK(), vocab);
        if (k == vocab && settings.topP() >= 1f) {
            return draw(null, vocab, 1.0);
        }
        for (int i = 0; i < vocab; i++) {
            order[i] = i;
        }
        Arrays.sort(order, 0, vocab, (a, b) -> Float.compare(probs[b], probs[a]));
        double kept = 0;
        int n = 0;
        while (n < k) {
            kept += probs[order[n]];
            n++;
            if (kept >= settings.topP()) {
                break;
            }
        }
        return draw(order, n, kept);
    }

    /** Draws among the first {@code n} candidates (all tokens when order is null) with total mass {@code mass}. */
    private int draw(Integer[] candidates, int n, double mass) {
        double u = random.nextDouble() * mass;
        double cdf = 0;
        for (int i = 0; i < n; i++) {
            int token = candidates == null ? i : candidates[i];
            cdf += probs[token];
            if (u < cdf) {
                return token;
            }
        }
        return candidates == null ? n - 1 : candidates[n - 1];
    }
}

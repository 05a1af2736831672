package dev.hyperattention4j.llm.runtime;

/**
 * How the next token is picked from the logits, validated on construction (the error names the parameter and its
 * range). Names and defaults follow llama.cpp ({@code --temp 0.8 --top-k 40 --top-p 0.95 --min-p 0.05
 * --repeat-penalty 1.0 --repeat-last-n 64}); the OpenAI fields map onto them ({@code temperature}, {@code top_p},
 * {@code frequency_penalty}, {@code presence_penalty}, {@code seed}). See {@link Sampler} for the order in which
 * they apply.
 *
 * @param temperature      softmax temperature of the final draw; 0 = greedy (argmax after the penalties)
 * @param topK             keep the K most likely tokens; 0 = no limit
 * @param topP             nucleus: keep the smallest most-likely prefix whose probability reaches P; 1 = off
 * @param minP             keep tokens whose probability is at least P times the most likely one's; 0 = off
 * @param repeatPenalty    divide a positive logit (multiply a negative one) of every token among the last
 *                         {@code repeatLastN} by this; 1 = off
 * @param repeatLastN      how many recent tokens (prompt included) the penalties look at; 0 = none
 * @param frequencyPenalty subtract this times the token's count among the last {@code repeatLastN}; 0 = off
 * @param presencePenalty  subtract this once from every token present among the last {@code repeatLastN}; 0 = off
 * @param seed             seed of the draws: the same seed, logits and parameters give the same tokens
 */
public record SamplingParams(float temperature, int topK, float topP, float minP, float repeatPenalty,
                             int repeatLastN, float frequencyPenalty, float presencePenalty, long seed) {
    /** The largest temperature accepted: beyond it every candidate is drawn uniformly in float32 anyway. */
    public static final float MAX_TEMPERATURE = 100f;
    /** The largest penalty window accepted (a ring buffer of this many ints per sampler). */
    public static final int MAX_REPEAT_LAST_N = 1 << 20;

    public SamplingParams {
        if (!(temperature >= 0 && temperature <= MAX_TEMPERATURE)) {
            throw new IllegalArgumentException("temperature must be in [0, " + (int) MAX_TEMPERATURE
                    + "] (0 = greedy), got " + temperature);
        }
        if (topK < 0) {
            throw new IllegalArgumentException("top-k must be >= 0 (0 = no limit), got " + topK);
        }
        if (!(topP > 0 && topP <= 1)) {
            throw new IllegalArgumentException("top-p must be in (0, 1] (1 = off), got " + topP);
        }
        if (!(minP >= 0 && minP <= 1)) {
            throw new IllegalArgumentException("min-p must be in [0, 1] (0 = off), got " + minP);
        }
        if (!(repeatPenalty > 0 && repeatPenalty <= 10)) {
            throw new IllegalArgumentException("repeat-penalty must be in (0, 10] (1 = off), got " + repeatPenalty);
        }
        if (repeatLastN < 0 || repeatLastN > MAX_REPEAT_LAST_N) {
            throw new IllegalArgumentException("repeat-last-n must be in [0, " + MAX_REPEAT_LAST_N
                    + "] (0 = no penalty window), got " + repeatLastN);
        }
        if (!(frequencyPenalty >= -2 && frequencyPenalty <= 2)) {
            throw new IllegalArgumentException("frequency-penalty must be in [-2, 2] (0 = off), got "
                    + frequencyPenalty);
        }
        if (!(presencePenalty >= -2 && presencePenalty <= 2)) {
            throw new IllegalArgumentException("presence-penalty must be in [-2, 2] (0 = off), got "
                    + presencePenalty);
        }
    }

    /** llama.cpp's defaults with the given seed. */
    public static SamplingParams defaults(long seed) {
        return new SamplingParams(0.8f, 40, 0.95f, 0.05f, 1f, 64, 0f, 0f, seed);
    }

    /** Argmax decoding, no penalties. */
    public static SamplingParams greedy() {
        return new SamplingParams(0f, 0, 1f, 0f, 1f, 64, 0f, 0f, 0);
    }

    public boolean isGreedy() {
        return temperature == 0f;
    }

    /** Whether any penalty changes the logits. */
    public boolean penalizes() {
        return repeatLastN > 0 && (repeatPenalty != 1f || frequencyPenalty != 0f || presencePenalty != 0f);
    }

    public SamplingParams withTemperature(float t) {
        return new SamplingParams(t, topK, topP, minP, repeatPenalty, repeatLastN, frequencyPenalty, presencePenalty,
                seed);
    }

    public SamplingParams withTopK(int k) {
        return new SamplingParams(temperature, k, topP, minP, repeatPenalty, repeatLastN, frequencyPenalty,
                presencePenalty, seed);
    }

    public SamplingParams withTopP(float p) {
        return new SamplingParams(temperature, topK, p, minP, repeatPenalty, repeatLastN, frequencyPenalty,
                presencePenalty, seed);
    }

    public SamplingParams withMinP(float p) {
        return new SamplingParams(temperature, topK, topP, p, repeatPenalty, repeatLastN, frequencyPenalty,
                presencePenalty, seed);
    }

    public SamplingParams withRepeatPenalty(float penalty, int lastN) {
        return new SamplingParams(temperature, topK, topP, minP, penalty, lastN, frequencyPenalty, presencePenalty,
                seed);
    }

    public SamplingParams withFrequencyAndPresencePenalty(float frequency, float presence) {
        return new SamplingParams(temperature, topK, topP, minP, repeatPenalty, repeatLastN, frequency, presence,
                seed);
    }

    public SamplingParams withSeed(long s) {
        return new SamplingParams(temperature, topK, topP, minP, repeatPenalty, repeatLastN, frequencyPenalty,
                presencePenalty, s);
    }
}

package dev.hyperattention4j.server;

import dev.hyperattention4j.llm.runtime.Sampler;
import java.util.List;

/**
 * One validated generation: the prompt's token ids, how many tokens to generate at most, sampling, stop strings,
 * the HyperAttention settings of its prefill, and how the answer is sent.
 */
record GenerationRequest(boolean chat, int[] prompt, int maxTokens, Sampler.Settings sampling, List<String> stop,
                         HyperSettings hyper, boolean stream, boolean includeUsage) {
}

package dev.hyperattention4j.server;

import dev.hyperattention4j.llm.runtime.SamplingParams;
import java.util.List;

/**
 * One validated generation: the prompt's token ids, how many tokens to generate at most, sampling, stop strings,
 * the HyperAttention settings of its prefill, and how the answer is sent.
 */
record GenerationRequest(boolean chat, int[] prompt, int maxTokens, SamplingParams sampling, List<String> stop,
                         HyperSettings hyper, boolean stream, boolean includeUsage) {
}

package dev.hyperattention4j.llm.synthetic;

import dev.hyperattention4j.llm.model.ModelConfig;
import dev.hyperattention4j.llm.model.RopeStyle;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * Named shapes of published models (from their config files), for benchmarks with random weights at real sizes
 * without downloading anything. Only the tensor shapes, vocabulary, RoPE style and biases matter for speed; Llama 3's
 * RoPE frequency scaling is left out.
 */
public enum SyntheticShape {
    SMOLLM2_135M("smollm2-135m", "llama", 576, 1536, 30, 9, 3, 49152, 1e-5f, 100000f, RopeStyle.INTERLEAVED, true, false),
    QWEN2_5_0_5B("qwen2.5-0.5b", "qwen2", 896, 4864, 24, 14, 2, 151936, 1e-6f, 1000000f, RopeStyle.ROTATE_HALF, true, true),
    LLAMA_3_2_1B("llama-3.2-1b", "llama", 2048, 8192, 16, 32, 8, 128256, 1e-5f, 500000f, RopeStyle.INTERLEAVED, true, false),
    LLAMA_3_1_8B("llama-3.1-8b", "llama", 4096, 14336, 32, 32, 8, 128256, 1e-5f, 500000f, RopeStyle.INTERLEAVED, false, false);

    private final String id;
    private final ModelConfig config;

    SyntheticShape(String id, String arch, int dim, int hidden, int layers, int heads, int kvHeads, int vocab,
                   float eps, float theta, RopeStyle rope, boolean tied, boolean bias) {
        this.id = id;
        this.config = new ModelConfig("synthetic", arch, dim, hidden, layers, heads, kvHeads, dim / heads, vocab,
                131072, eps, theta, rope, tied, bias, 1, 2);
    }

    /** The name used on the command line, e.g. "llama-3.2-1b". */
    public String id() { return id; }

    public ModelConfig config() { return config; }

    /** The shape named {@code name} (case-insensitive), or an error listing the known names. */
    public static SyntheticShape named(String name) {
        for (SyntheticShape s : values()) {
            if (s.id.equalsIgnoreCase(name.trim())) {
                return s;
            }
        }
        throw new IllegalArgumentException("unknown synthetic shape '" + name + "'; known: " + names());
    }

    public static String names() {
        return Arrays.stream(values()).map(SyntheticShape::id).collect(Collectors.joining(", "));
    }

    @Override
    public String toString() { return id.toLowerCase(Locale.ROOT); }
}

package dev.hyperattention4j.llm.format.gguf;

import dev.hyperattention4j.llm.model.DType;
import dev.hyperattention4j.llm.model.RopeScaling;
import dev.hyperattention4j.llm.model.WeightTensor;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;

/**
 * Reads llama.cpp's RoPE scaling metadata into a {@link RopeScaling}: {@code <arch>.rope.scaling.type} (none, linear,
 * yarn) with {@code .factor}, {@code .original_context_length}, {@code .yarn_beta_fast}, {@code .yarn_beta_slow} and
 * {@code .attn_factor} (Hugging Face's YaRN {@code attention_factor}); the older {@code <arch>.rope.scale_linear};
 * and the {@code rope_freqs.weight} tensor of per-frequency divisors (llama3-style scaling). Any other
 * {@code <arch>.rope.*} key, another type, or a combination is refused, naming the key and its value: a model must not
 * silently run with the wrong positions.
 */
final class GgufRopeScaling {
    /** The tensor llama.cpp's converter writes for llama3 scaling. */
    static final String FREQS_TENSOR = "rope_freqs.weight";

    private static final Set<String> KNOWN = Set.of("freq_base", "dimension_count", "scale_linear", "scaling.type",
            "scaling.factor", "scaling.original_context_length", "scaling.finetuned", "scaling.yarn_beta_fast",
            "scaling.yarn_beta_slow", "scaling.attn_factor");

    private GgufRopeScaling() {}

    static RopeScaling read(Path file, GgufMetadata md, String arch, Map<String, WeightTensor> tensors,
                            int rotaryDims, int contextLength) throws GgufFormatException {
        String prefix = arch + ".rope.";
        for (String key : md.entries().keySet()) {
            if (key.startsWith(prefix) && !KNOWN.contains(key.substring(prefix.length()))) {
                throw new GgufFormatException(file, key, "is not supported (value "
                        + GgufMetadata.describe(md.entries().get(key)) + "): this runtime cannot honour it", -1);
            }
        }
        String typeKey = prefix + "scaling.type";
        String type = md.string(typeKey, null);
        boolean legacyLinear = md.has(prefix + "scale_linear");
        if (legacyLinear && type != null) {
            throw error(file, prefix + "scale_linear", "cannot be combined with " + typeKey + " '" + type + "'");
        }
        RopeScaling scaling;
        if (legacyLinear) {
            scaling = RopeScaling.linear(factor(file, md, prefix + "scale_linear"));
        } else if (type == null || type.equals("none")) {
            scaling = RopeScaling.NONE;
        } else if (type.equals("linear")) {
            scaling = RopeScaling.linear(factor(file, md, prefix + "scaling.factor"));
        } else if (type.equals("yarn")) {
            double factor = factor(file, md, prefix + "scaling.factor");
            int original = (int) md.integer(prefix + "scaling.original_context_length", 1, Integer.MAX_VALUE,
                    contextLength);
            double fast = positive(file, md, prefix + "scaling.yarn_beta_fast", 32);
            double slow = positive(file, md, prefix + "scaling.yarn_beta_slow", 1);
            double attention = positive(file, md, prefix + "scaling.attn_factor",
                    RopeScaling.defaultYarnAttention(factor));
            scaling = build(file, prefix + "scaling.yarn_beta_fast",
                    () -> RopeScaling.yarn(factor, original, fast, slow, attention));
        } else {
            throw error(file, typeKey, "'" + type + "' is not supported (none, linear, yarn; llama3 scaling comes as "
                    + "the " + FREQS_TENSOR + " tensor)");
        }
        for (String yarnOnly : new String[] {"scaling.yarn_beta_fast", "scaling.yarn_beta_slow",
                "scaling.attn_factor"}) {
            if (scaling.type() != RopeScaling.Type.YARN && md.has(prefix + yarnOnly)) {
                throw error(file, prefix + yarnOnly, "is only supported with yarn scaling, the scaling is "
                        + scaling.describe());
            }
        }
        WeightTensor freqs = tensors.get(FREQS_TENSOR);
        if (freqs == null) {
            return scaling;
        }
        if (scaling.type() != RopeScaling.Type.NONE) {
            throw error(file, FREQS_TENSOR, "per-frequency divisors combined with " + typeKey + " '"
                    + scaling.describe() + "' are not supported");
        }
        if (freqs.type() != DType.F32 || freqs.shape().length != 1 || freqs.shape()[0] != rotaryDims / 2) {
            throw error(file, FREQS_TENSOR, "must be an F32 vector of " + rotaryDims / 2 + " entries (one per rotary "
                    + "pair), is " + freqs.type() + " " + java.util.Arrays.toString(freqs.shape()));
        }
        float[] divisors = freqs.data().toArray(ValueLayout.JAVA_FLOAT_UNALIGNED);
        return build(file, FREQS_TENSOR, () -> RopeScaling.divisors(divisors));
    }

    private static double factor(Path file, GgufMetadata md, String key) throws GgufFormatException {
        if (!md.has(key)) {
            throw error(file, key, "is required by the scaling type and missing");
        }
        double f = md.number(key, 1);
        if (!(f >= 1) || Double.isInfinite(f)) {
            throw error(file, key, "must be a finite number >= 1 (a context extension), got " + f);
        }
        return f;
    }

    private static double positive(Path file, GgufMetadata md, String key, double fallback)
            throws GgufFormatException {
        double v = md.number(key, fallback);
        if (!(v > 0) || Double.isInfinite(v)) {
            throw error(file, key, "must be a finite number > 0, got " + v);
        }
        return v;
    }

    private interface Builder {
        RopeScaling build();
    }

    private static RopeScaling build(Path file, String key, Builder b) throws GgufFormatException {
        try {
            return b.build();
        } catch (IllegalArgumentException e) {
            throw error(file, key, e.getMessage());
        }
    }

    private static GgufFormatException error(Path file, String key, String problem) {
        return new GgufFormatException(file, key, problem, -1);
    }
}

package dev.hyperattention4j.cli;

import dev.hyperattention4j.llm.model.DType;
import dev.hyperattention4j.llm.model.ModelConfig;
import dev.hyperattention4j.llm.quantize.QuantPreset;
import dev.hyperattention4j.llm.synthetic.RandomWeights;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * The per-tensor weight types of {@code bench-model --type T}: a quantisation preset (Q4_K_M, Q8_0, ...: each
 * tensor gets the type the GGUF ecosystem's quantiser gives it), or a plain type (F32, F16, BF16, or any block type
 * for every matrix alike).
 */
final class SyntheticTypes {
    private SyntheticTypes() {
    }

    static Function<String, DType> of(String name, ModelConfig c) {
        String n = name.trim().toUpperCase(Locale.ROOT);
        Map<String, long[]> shapes = RandomWeights.shapes(c);
        for (QuantPreset p : QuantPreset.values()) {
            if (p.name().equals(n)) {
                return tensor -> p.typeOf(tensor, shapes.get(tensor), c.layers(), c.groupSize(), c.tiedEmbeddings());
            }
        }
        for (DType t : DType.values()) {
            if (t.name().equals(n)) {
                return tensor -> t;
            }
        }
        throw new IllegalArgumentException("unknown --type '" + name + "'; known: presets "
                + Arrays.toString(QuantPreset.values()) + ", types " + Arrays.toString(DType.values()));
    }
}

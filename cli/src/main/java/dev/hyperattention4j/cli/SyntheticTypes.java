package dev.hyperattention4j.cli;

import dev.hyperattention4j.llm.model.DType;
import java.util.Arrays;
import java.util.Locale;
import java.util.function.Function;

/** The per-tensor weight types of {@code bench-model --type T}: one type for every matrix. */
final class SyntheticTypes {
    private SyntheticTypes() {
    }

    static Function<String, DType> of(String name) {
        String n = name.trim().toUpperCase(Locale.ROOT);
        for (DType t : DType.values()) {
            if (t.name().equals(n)) {
                return tensor -> t;
            }
        }
        throw new IllegalArgumentException("unknown --type '" + name + "'; known: " + Arrays.toString(DType.values()));
    }
}

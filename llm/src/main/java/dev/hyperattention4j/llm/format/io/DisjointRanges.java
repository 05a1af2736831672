package dev.hyperattention4j.llm.format.io;

import dev.hyperattention4j.llm.model.ModelFormatException;
import java.util.Arrays;
import java.util.Comparator;

/**
 * Tensors of one safetensors file must not share bytes (the format forbids it; GGUF's reader has its own check): a
 * file whose tensors overlap loads as weights aliasing each other, a model that runs and prints numbers that mean
 * nothing. Checked once per file in O(n log n).
 */
public final class DisjointRanges {
    /** One tensor's bytes {@code [begin, begin + length)} within its data section; {@code at} locates its header. */
    public record Range(String name, long begin, long length, long at) {}

    private DisjointRanges() {}

    /** @throws ModelFormatException naming the two tensors that overlap */
    public static void require(Range[] ranges, FormatErrors errors) throws ModelFormatException {
        Range[] sorted = ranges.clone();
        Arrays.sort(sorted, Comparator.comparingLong(Range::begin).thenComparingLong(Range::length));
        Range widest = null; // among the tensors so far, the one reaching furthest
        for (Range r : sorted) {
            if (r.length() == 0) {
                continue;
            }
            if (widest != null && r.begin() < widest.begin() + widest.length()) {
                throw errors.error(r.name(), "data [" + r.begin() + ", " + (r.begin() + r.length())
                        + ") overlaps the data of " + widest.name() + " [" + widest.begin() + ", "
                        + (widest.begin() + widest.length()) + "); tensors must not share bytes", r.at());
            }
            if (widest == null || r.begin() + r.length() > widest.begin() + widest.length()) {
                widest = r;
            }
        }
    }
}

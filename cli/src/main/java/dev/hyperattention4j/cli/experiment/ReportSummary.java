package dev.hyperattention4j.cli.experiment;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/** The headline ratios at the top of RESULTS.md, picked from the experiment rows. */
final class ReportSummary {
    private ReportSummary() {}

    static void write(StringBuilder md, Map<String, JsonNode> docs) {
        Table t = new Table("experiment", "setting", "quality", "speed");
        for (JsonNode doc : docs.values()) {
            switch (doc.path("experiment").asText()) {
                case PatchedLayersExperiment.NAME -> patched(t, doc);
                case SingleLayerExperiment.NAME -> single(t, doc);
                case FidelityExperiment.NAME -> fidelity(t, doc);
                default -> { }
            }
        }
        if (t.isEmpty()) {
            return;
        }
        md.append("## Summary\n\n").append(t.render()).append('\n');
    }

    private static <R> List<R> rows(JsonNode doc, Class<R> type) {
        return ResultStore.JSON.convertValue(doc.path("rows"),
                ResultStore.JSON.getTypeFactory().constructCollectionType(List.class, type));
    }

    /** Per context: all layers patched against exact. */
    private static void patched(Table t, JsonNode doc) {
        List<PatchedLayersExperiment.Row> rows = rows(doc, PatchedLayersExperiment.Row.class);
        rows.stream().filter(r -> r.patchedLayers() == r.layers())
                .sorted(Comparator.comparingInt(PatchedLayersExperiment.Row::ctx)).forEach(r -> t.row(
                        "patched-layers", r.model() + " on " + ReportWriter.textName(doc) + ", ctx " + r.ctx()
                                + ", all " + r.layers() + " layers patched",
                        "ppl " + Table.num(r.ppl() - r.deltaPpl(), 2) + " → " + Table.num(r.ppl(), 2) + " (ΔCE "
                                + Table.signed(r.deltaNll(), 3) + " ± " + Table.num(r.deltaNllStdErr(), 3) + ")"
                                + (r.beyondTrainedCtx() ? ", only Δ meaningful" : ""),
                        "attention " + Table.times(r.attnSpeedup()) + ", end to end " + Table.times(r.e2eSpeedup())));
    }

    /** At the largest n of each mode and mask. */
    private static void single(Table t, JsonNode doc) {
        List<SingleLayerExperiment.Row> rows = rows(doc, SingleLayerExperiment.Row.class);
        rows.stream().filter(r -> Double.isFinite(r.speedup()))
                .collect(java.util.stream.Collectors.groupingBy(r -> r.mode() + ", " + (r.causal() ? "causal" : "non-causal"),
                        java.util.LinkedHashMap::new, java.util.stream.Collectors.toList()))
                .forEach((k, v) -> {
                    SingleLayerExperiment.Row r = v.stream().max(Comparator.comparingInt(SingleLayerExperiment.Row::n))
                            .orElseThrow();
                    t.row("single-layer", k + ", n = " + r.n() + ", d = " + r.d() + ", " + r.heads() + " head(s)",
                            "rel err " + Table.num(r.relError(), 3) + " (" + r.errorKind() + ")",
                            Table.times(r.speedup()) + (r.exactExtrapolated() ? " (exact extrapolated)" : ""));
                });
    }

    /** Error at the base setting (the value shared by the three sweeps). */
    private static void fidelity(Table t, JsonNode doc) {
        List<FidelityExperiment.Row> rows = rows(doc, FidelityExperiment.Row.class);
        for (FidelityExperiment.Row r : rows) {
            if (r.causal() && r.param().equals("m") && r.value() == r.block() && r.projections() == 7) {
                t.row("fidelity", r.source() + ", " + (r.causal() ? "causal" : "non-causal") + ", n = " + r.n()
                                + ", b = m = " + r.block() + ", r = 7",
                        "rel err " + Table.num(r.relError(), 3) + ", mean |ΔL| " + Table.num(r.lseError(), 3), "");
            }
        }
    }
}

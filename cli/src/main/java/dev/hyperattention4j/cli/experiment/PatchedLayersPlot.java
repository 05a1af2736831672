package dev.hyperattention4j.cli.experiment;

import dev.hyperattention4j.cli.experiment.PatchedLayersExperiment.Row;
import java.util.List;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * The paper's figure shape: perplexity (left axis) and speedup (right axis) against the number of patched final
 * layers. Beyond the trained context the left axis shows the change against exact attention instead, the only
 * meaningful perplexity number there.
 */
final class PatchedLayersPlot {
    private PatchedLayersPlot() {}

    /** Rows of one model and one context length, any order. */
    static XYChart chart(List<Row> rows, String text) {
        List<Row> sorted = rows.stream().sorted(java.util.Comparator.comparingInt(Row::patchedLayers)).toList();
        Row first = sorted.getFirst();
        boolean delta = first.beyondTrainedCtx();
        String left = delta ? "perplexity change vs exact (same windows)" : "perplexity";
        XYChart chart = Charts.chart(first.model() + " on " + text + ", context " + first.ctx() + " tokens"
                        + (delta ? " (beyond trained " + first.trainedCtx() + ": change only)" : ""),
                "number of final layers on HyperAttention", left);
        chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNW)
                .setYAxisGroupPosition(1, Styler.YAxisPosition.Right);
        chart.setYAxisGroupTitle(1, "speedup over exact (×)");
        double[] x = sorted.stream().mapToDouble(Row::patchedLayers).toArray();
        double[] y = sorted.stream().mapToDouble(r -> delta ? r.deltaPpl() : r.ppl()).toArray();
        double[][] xy = Charts.finite(x, y);
        XYSeries p = chart.addSeries(delta ? "Δ perplexity" : "perplexity", xy[0], xy[1]);
        p.setMarker(SeriesMarkers.CIRCLE);
        double[][] attn = Charts.finite(x, sorted.stream().mapToDouble(Row::attnSpeedup).toArray());
        XYSeries a = chart.addSeries("attention speedup", attn[0], attn[1]);
        a.setYAxisGroup(1);
        a.setMarker(SeriesMarkers.DIAMOND);
        double[][] e2e = Charts.finite(x, sorted.stream().mapToDouble(Row::e2eSpeedup).toArray());
        XYSeries e = chart.addSeries("end-to-end speedup", e2e[0], e2e[1]);
        e.setYAxisGroup(1);
        e.setMarker(SeriesMarkers.SQUARE);
        return chart;
    }
}

package dev.hyperattention4j.cli.experiment;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.Styler;

/**
 * XChart helpers shared by every plot (experiments, {@code bench hyper --plot}): headless rendering, small readable
 * PNGs, both axes titled and tick labels rounded to three significant digits (integers with thousands separators).
 */
public final class Charts {
    private Charts() {}

    /** A chart with a title and both axis titles (say the unit in them). */
    public static XYChart chart(String title, String xTitle, String yTitle) {
        System.setProperty("java.awt.headless", "true");
        XYChart chart = new XYChartBuilder().width(800).height(520).title(title).xAxisTitle(xTitle)
                .yAxisTitle(yTitle).build();
        chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNW).setChartBackgroundColor(java.awt.Color.WHITE)
                .setMarkerSize(7);
        chart.getStyler().setXAxisTickLabelsFormattingFunction(Charts::tick);
        chart.getStyler().setYAxisTickLabelsFormattingFunction(Charts::tick);
        return chart;
    }

    /** A tick label: an integer with thousands separators, else three significant digits. */
    static String tick(Double value) {
        double v = value;
        if (!Double.isFinite(v)) {
            return "";
        }
        if (v == Math.rint(v) && Math.abs(v) < 1e15) {
            return String.format(java.util.Locale.ROOT, "%,d", (long) v);
        }
        return new java.math.BigDecimal(v).round(new java.math.MathContext(3)).stripTrailingZeros().toPlainString();
    }

    /** Writes {@code chart} to {@code file} (which must end in .png). */
    public static void save(XYChart chart, Path file) throws IOException {
        String name = file.toString();
        if (!name.endsWith(".png")) {
            throw new IllegalArgumentException("plot file must end in .png: " + file);
        }
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        BitmapEncoder.saveBitmap(chart, name.substring(0, name.length() - 4), BitmapEncoder.BitmapFormat.PNG);
    }

    /** Finite entries only (XChart cannot draw NaN), as parallel arrays {x, y}. */
    public static double[][] finite(double[] x, double[] y) {
        int n = 0;
        for (int i = 0; i < x.length; i++) {
            if (Double.isFinite(x[i]) && Double.isFinite(y[i])) {
                n++;
            }
        }
        double[][] out = new double[2][n];
        for (int i = 0, j = 0; i < x.length; i++) {
            if (Double.isFinite(x[i]) && Double.isFinite(y[i])) {
                out[0][j] = x[i];
                out[1][j++] = y[i];
            }
        }
        return out;
    }
}

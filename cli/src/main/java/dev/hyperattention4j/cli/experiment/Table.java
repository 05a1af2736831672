package dev.hyperattention4j.cli.experiment;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** A Markdown table with padded columns: the terminal output of the experiments and the tables of RESULTS.md. */
final class Table {
    private final String[] header;
    private final List<String[]> rows = new ArrayList<>();

    Table(String... header) {
        this.header = header.clone();
        for (int i = 0; i < header.length; i++) {
            this.header[i] = header[i].replace("|", "\\|");
        }
    }

    Table row(Object... cells) {
        if (cells.length != header.length) {
            throw new IllegalArgumentException("row has " + cells.length + " cells, header " + header.length);
        }
        String[] s = new String[cells.length];
        for (int i = 0; i < cells.length; i++) {
            s[i] = String.valueOf(cells[i]).replace("|", "\\|");   // a pipe would end the Markdown cell
        }
        rows.add(s);
        return this;
    }

    boolean isEmpty() {
        return rows.isEmpty();
    }

    String render() {
        int[] w = new int[header.length];
        for (int i = 0; i < header.length; i++) {
            w[i] = Math.max(3, header[i].length());
            for (String[] r : rows) {
                w[i] = Math.max(w[i], r[i].length());
            }
        }
        StringBuilder sb = new StringBuilder();
        line(sb, header, w);
        sb.append('|');
        for (int x : w) {
            sb.append('-').append("-".repeat(x)).append("-|");
        }
        sb.append('\n');
        for (String[] r : rows) {
            line(sb, r, w);
        }
        return sb.toString();
    }

    private static void line(StringBuilder sb, String[] cells, int[] w) {
        sb.append('|');
        for (int i = 0; i < cells.length; i++) {
            sb.append(' ').append(cells[i]).append(" ".repeat(w[i] - cells[i].length())).append(" |");
        }
        sb.append('\n');
    }

    /** A number with {@code digits} decimals, or "—" when it is not finite (not measured). */
    static String num(double x, int digits) {
        return Double.isFinite(x) ? String.format(Locale.ROOT, "%." + digits + "f", x) : "—";
    }

    /** As {@link #num(double, int)} for a figure that older results do not hold (null): "—". */
    static String num(Double x, int digits) {
        return num(x == null ? Double.NaN : x, digits);
    }

    /** A ratio such as "3.2×", or "—". */
    static String times(double x) {
        return Double.isFinite(x) ? String.format(Locale.ROOT, x >= 10 ? "%.1f×" : "%.2f×", x) : "—";
    }

    /** A signed change such as "+0.0123", or "—". */
    static String signed(double x, int digits) {
        return Double.isFinite(x) ? String.format(Locale.ROOT, "%+." + digits + "f", x) : "—";
    }
}

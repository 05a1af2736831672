package dev.hyperattention4j.cli.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hyperattention4j.cli.experiment.Charts;
import dev.hyperattention4j.llm.format.io.Json;
import dev.hyperattention4j.llm.train.Trainer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYSeries;

/**
 * The history of a training run: training loss, learning rate, gradient norm and throughput per step, validation
 * loss at its intervals. Kept in the checkpoint's state (so a resumed run continues its curve) and written as
 * {@code loss.json} and {@code loss.png}.
 */
final class LossCurve {
    private final ObjectNode root;

    LossCurve() {
        root = Json.MAPPER.createObjectNode();
        root.putArray("train");
        root.putArray("validation");
    }

    /** The curve stored in a checkpoint's state (empty when it has none). */
    static LossCurve from(JsonNode state) {
        LossCurve c = new LossCurve();
        JsonNode h = state.get("history");
        if (h != null && h.isObject() && h.get("train") instanceof ArrayNode t && h.get("validation") instanceof ArrayNode v) {
            c.train().addAll(t);
            c.validation().addAll(v);
        }
        return c;
    }

    ArrayNode train() { return (ArrayNode) root.get("train"); }

    ArrayNode validation() { return (ArrayNode) root.get("validation"); }

    ObjectNode json() { return root; }

    void add(Trainer.Step s, double seconds) {
        train().addObject().put("step", s.step()).put("loss", s.loss()).put("learning_rate", s.learningRate())
                .put("gradient_norm", s.gradientNorm()).put("tokens", s.tokens()).put("seconds", seconds);
    }

    void addValidation(long step, double loss) {
        validation().addObject().put("step", step).put("loss", loss);
    }

    /** Writes {@code loss.json} and {@code loss.png} into {@code dir}. */
    void write(Path dir, String title) throws IOException {
        Files.createDirectories(dir);
        Path tmp = dir.resolve("loss.json.partial");
        Json.MAPPER.writerWithDefaultPrettyPrinter().writeValue(tmp.toFile(), root);
        Files.move(tmp, dir.resolve("loss.json"), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        if (train().isEmpty()) {
            return;
        }
        // ImageIO's default disk cache registers a shutdown hook per stream, which fails while Ctrl-C shuts down
        javax.imageio.ImageIO.setUseCache(false);
        XYChart chart = Charts.chart(title, "optimizer step", "loss (nats per token)");
        series(chart, "training", train());
        if (!validation().isEmpty()) {
            series(chart, "validation", validation()).setMarker(org.knowm.xchart.style.markers.SeriesMarkers.CIRCLE);
        }
        Charts.save(chart, dir.resolve("loss.png"));
    }

    private static XYSeries series(XYChart chart, String name, ArrayNode points) {
        double[] x = new double[points.size()], y = new double[points.size()];
        for (int i = 0; i < x.length; i++) {
            x[i] = points.get(i).path("step").asDouble();
            y[i] = points.get(i).path("loss").asDouble(Double.NaN);
        }
        double[][] f = Charts.finite(x, y);
        XYSeries s = chart.addSeries(name, f[0], f[1]);
        s.setMarker(org.knowm.xchart.style.markers.SeriesMarkers.NONE);
        return s;
    }
}

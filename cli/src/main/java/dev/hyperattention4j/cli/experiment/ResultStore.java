package dev.hyperattention4j.cli.experiment;

import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The JSON file of one experiment: its settings, the machine, a status ({@code running}, {@code interrupted},
 * {@code complete}) and one row per finished point. The file is rewritten atomically after every point, so a run
 * killed at any moment (Ctrl-C included) leaves every finished point on disk; opening the file again with the same
 * settings resumes after them, and {@code --restart} discards them. A JVM shutdown hook marks an unfinished run
 * {@code interrupted} and runs the caller's {@code onInterrupt} (e.g. writing the partial report).
 *
 * @param <R> the row record (serialised with Jackson)
 */
final class ResultStore<R> implements AutoCloseable {
    static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** Thrown when the file holds results made with other settings and no --restart was given. */
    static final class SettingsMismatch extends RuntimeException {
        SettingsMismatch(String message) {
            super(message);
        }
    }

    private final Path file;
    private final String experiment;
    private final JsonNode settings;
    private final JsonNode machine;
    private final Function<R, String> key;
    private String command;
    private final Map<String, R> rows = new LinkedHashMap<>();
    private final int resumed;
    private final Thread hook;
    private String status = "running";
    private Runnable onInterrupt = () -> {};

    private ResultStore(Path file, String experiment, JsonNode settings, JsonNode machine, Function<R, String> key,
                        List<R> previous) {
        this.file = file;
        this.experiment = experiment;
        this.settings = settings;
        this.machine = machine;
        this.key = key;
        for (R r : previous) {
            rows.put(key.apply(r), r);
        }
        this.resumed = rows.size();
        this.hook = new Thread(this::markInterrupted, "ha4j-results-" + experiment);
    }

    /**
     * Opens (or creates) {@code dir/name.json}. Earlier rows are kept when the settings are equal and
     * {@code restart} is false; different settings without {@code restart} are a {@link SettingsMismatch}.
     */
    static <R> ResultStore<R> open(Path dir, String name, String experiment, Object settings, Object machine,
                                   Class<R> rowType, Function<R, String> key, boolean restart) throws IOException {
        Files.createDirectories(dir);
        Path file = dir.resolve(name + ".json");
        JsonNode s = JSON.readTree(JSON.writeValueAsString(settings));   // as it reads back from the file
        List<R> previous = new ArrayList<>();
        if (Files.exists(file) && !restart) {
            JsonNode old = readResults(file, "delete it or pass --restart to start this experiment over");
            if (!s.equals(old.path("settings"))) {
                throw new SettingsMismatch(file + " holds results made with other settings (there: "
                        + old.path("settings") + "; now: " + s
                        + "); pass --restart to discard them, or choose another --out directory");
            }
            JavaType list = JSON.getTypeFactory().constructCollectionType(List.class, rowType);
            try {
                previous = JSON.convertValue(old.path("rows"), list);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(file + ": its rows are not this experiment's results ("
                        + firstLine(e.getMessage()) + "); delete it or pass --restart to start this experiment over");
            }
        }
        ResultStore<R> store = new ResultStore<>(file, experiment, s, JSON.valueToTree(machine), key, previous);
        store.write();
        Runtime.getRuntime().addShutdownHook(store.hook);
        return store;
    }

    /** The command line that produced the results (shown in the report). */
    synchronized void command(String line) {
        this.command = line;
        write();
    }

    /** What to do (besides writing the JSON) when the JVM stops before {@link #complete()}. */
    synchronized void onInterrupt(Runnable action) {
        this.onInterrupt = action;
    }

    synchronized boolean has(String k) {
        return rows.containsKey(k);
    }

    synchronized R get(String k) {
        return rows.get(k);
    }

    /** Rows finished by an earlier run of the same settings. */
    int resumedRows() {
        return resumed;
    }

    synchronized List<R> rows() {
        return new ArrayList<>(rows.values());
    }

    Path file() {
        return file;
    }

    /** Records a finished point and rewrites the file. */
    synchronized void add(R row) {
        rows.put(key.apply(row), row);
        write();
    }

    /** Marks the run complete. */
    synchronized void complete() {
        status = "complete";
        write();
    }

    @Override
    public void close() {
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            // the hook is running or has run
        }
    }

    /** Marks an unfinished run interrupted and runs {@code onInterrupt}: the shutdown hook (Ctrl-C). */
    void markInterrupted() {
        Runnable action;
        synchronized (this) {
            if (!"running".equals(status)) {
                return;
            }
            status = "interrupted";
            write();
            action = onInterrupt;
        }
        System.err.println("\n" + experiment + ": interrupted; " + rows.size() + " finished points are in " + file
                + " (run the same command again to resume)");
        try {
            action.run();
        } catch (RuntimeException e) {
            System.err.println(experiment + ": could not write the partial report: " + e);
        }
    }

    private void write() {
        ObjectNode doc = JSON.createObjectNode();
        doc.put("experiment", experiment);
        doc.put("status", status);
        doc.put("updated", Instant.now().toString());
        if (command != null) {
            doc.put("command", command);
        }
        doc.set("settings", settings);
        doc.set("machine", machine);
        doc.set("rows", JSON.valueToTree(new ArrayList<>(rows.values())));
        try {
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            JSON.writeValue(tmp.toFile(), doc);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    /** Reads a results file written by any experiment. */
    static JsonNode read(Path file) throws IOException {
        return readResults(file, "delete it, or run its experiment again");
    }

    /** A results file's JSON, or an error naming the file and what to do (a crash or an edit can corrupt it). */
    private static JsonNode readResults(Path file, String advice) throws IOException {
        JsonNode doc;
        try {
            doc = JSON.readTree(file.toFile());
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException(file + ": is not a valid results file ("
                    + firstLine(e.getOriginalMessage()) + "); " + advice);
        }
        if (doc == null || !doc.isObject()) {
            throw new IllegalArgumentException(file + ": is not a valid results file (not a JSON object); " + advice);
        }
        return doc;
    }

    private static String firstLine(String s) {
        return s == null ? "" : s.lines().findFirst().orElse("");
    }
}

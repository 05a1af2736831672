package dev.hyperattention4j.cli;

import java.time.Duration;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * The progress bar of every long command: on stderr with an ETA, or nothing at all with {@code --json} or when
 * stderr is not a terminal (so logs and pipes stay clean). Work may be counted in cost units (e.g. estimated flops),
 * so the ETA stays honest when points differ in size by orders of magnitude.
 */
public final class Progress implements AutoCloseable {
    private final ProgressBar bar;

    private Progress(ProgressBar bar) {
        this.bar = bar;
    }

    /** A bar over {@code total} units. */
    public static Progress start(String task, long total, boolean quiet) {
        return start(task, total, 0, quiet);
    }

    /** A bar over {@code total} units of which {@code done} are already finished (a resumed run). */
    public static Progress start(String task, long total, long done, boolean quiet) {
        if (quiet || !interactive() || total <= 0) {
            return new Progress(null);
        }
        return new Progress(new ProgressBarBuilder().setTaskName(task).setInitialMax(total)
                .setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(500)
                .setConsumer(new ConsoleProgressBarConsumer(System.err)).startsFrom(done, Duration.ZERO).build());
    }

    /** Whether a person is watching: a console that is a terminal. */
    static boolean interactive() {
        java.io.Console c = System.console();
        return c != null && c.isTerminal();
    }

    /** Sets the units done so far, with an optional message. */
    public void step(long done, String message) {
        if (bar != null) {
            bar.stepTo(done);
            if (message != null) {
                bar.setExtraMessage(message);
            }
        }
    }

    /** Adds {@code units} done, with an optional message. */
    public void advance(long units, String message) {
        if (bar != null) {
            bar.stepBy(units);
            if (message != null) {
                bar.setExtraMessage(message);
            }
        }
    }

    @Override
    public void close() {
        if (bar != null) {
            bar.close();
        }
    }
}

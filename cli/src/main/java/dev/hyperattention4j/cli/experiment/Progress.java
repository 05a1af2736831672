package dev.hyperattention4j.cli.experiment;

import java.time.Duration;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * A progress bar with ETA on stderr for long runs, or nothing at all with {@code --json} or when the terminal is
 * not interactive (so logs and pipes stay clean). Work is counted in cost units (e.g. estimated flops), so the ETA
 * stays honest when points differ in size by orders of magnitude.
 */
final class Progress implements AutoCloseable {
    private final ProgressBar bar;

    private Progress(ProgressBar bar) {
        this.bar = bar;
    }

    /** A bar over {@code total} units of which {@code done} are already finished (a resumed run). */
    static Progress start(String task, long total, long done, boolean quiet) {
        if (quiet || !interactive() || total <= 0) {
            return new Progress(null);
        }
        ProgressBar bar = new ProgressBarBuilder().setTaskName(task).setInitialMax(total)
                .setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(500)
                .startsFrom(done, Duration.ZERO).build();
        return new Progress(bar);
    }

    /** Whether a person is watching: a console that is a terminal. */
    static boolean interactive() {
        java.io.Console c = System.console();
        return c != null && c.isTerminal();
    }

    void step(long units, String message) {
        if (bar != null) {
            bar.stepBy(units);
            bar.setExtraMessage(message);
        }
    }

    @Override
    public void close() {
        if (bar != null) {
            bar.close();
        }
    }
}

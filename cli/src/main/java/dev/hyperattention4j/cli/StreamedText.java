package dev.hyperattention4j.cli;

import java.io.BufferedOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.function.Consumer;

/**
 * Where {@code generate} sends each piece of text as it completes: printed (UTF-8) through a 16 KiB buffer that is
 * flushed at most every {@link #FLUSH_NANOS}, and the instant and process CPU of the first piece recorded. The
 * warm-up passes an instance of this same class writing to a discarding stream, so that the printing and encoding
 * code is compiled before the timed generation: without it the first real pieces ran that code interpreted while
 * the compiler threads took the core (text output cost 20-50 % of tinystories-656k's decode rate, JSON output none).
 */
final class StreamedText implements Consumer<String> {
    /**
     * The longest a piece waits in the buffer. A write system call per token cost up to 5 % of a small model's decode;
     * a terminal still sees the text within this time. (System.out flushes every write it gets, so it sits behind a
     * buffer of ours.)
     */
    static final long FLUSH_NANOS = 20_000_000L;

    private final PrintStream out;
    private final boolean print;
    private long lastFlush = System.nanoTime() - FLUSH_NANOS;   // the first piece goes out at once
    private Instant firstPiece;
    private double firstPieceCpu;

    /** Prints to {@code sink} when {@code print}; else only records when the first piece came. */
    StreamedText(OutputStream sink, boolean print) {
        this.out = new PrintStream(new BufferedOutputStream(sink, 1 << 14), false, StandardCharsets.UTF_8);
        this.print = print;
    }

    /** An instance that prints into nothing: the warm-up's. */
    static StreamedText discarding() {
        return new StreamedText(OutputStream.nullOutputStream(), true);
    }

    @Override
    public void accept(String piece) {
        if (firstPiece == null) {
            firstPiece = Instant.now();
            firstPieceCpu = GenerateCommand.processCpuSeconds();
        }
        if (print) {
            out.print(piece);
            long now = System.nanoTime();
            if (now - lastFlush >= FLUSH_NANOS) {
                out.flush();
                lastFlush = now;
            }
        }
    }

    /** Prints text that is not a generated piece (the prompt, the final newline) and flushes. */
    void printNow(String text) {
        out.print(text);
        out.flush();
    }

    void flush() {
        out.flush();
    }

    /** When the first piece came (null: none yet). */
    Instant firstPiece() {
        return firstPiece;
    }

    /** The process's CPU seconds when the first piece came. */
    double firstPieceCpu() {
        return firstPieceCpu;
    }
}

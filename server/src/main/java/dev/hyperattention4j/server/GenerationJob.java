package dev.hyperattention4j.server;

import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A request on its way through the server: the HTTP thread submits it and reads its events (text pieces, then the
 * outcome or a failure); a slot thread runs it and posts them. Cancelling (the client went away) makes the slot
 * stop at its next token.
 */
final class GenerationJob {
    /** What a slot posts. */
    sealed interface Event permits Piece, Done, Failed {
    }

    record Piece(String text) implements Event {
    }

    record Done(Outcome outcome) implements Event {
    }

    record Failed(String message) implements Event {
    }

    /**
     * The result of a generation with llama-server-style timings.
     *
     * @param cachedTokens prompt tokens whose KV entries were reused from the slot's previous request
     * @param finishReason "stop" (EOS or a stop string), "length" (max_tokens or the context), "cancelled"
     */
    record Outcome(String text, int promptTokens, int cachedTokens, int completionTokens, String finishReason,
                   double promptMs, double predictedMs, long prefillEndNanos) {
    }

    final GenerationRequest request;
    final long submittedNanos = System.nanoTime();
    /** When the slot finished the prompt's prefill (System.nanoTime), for the streamed first-token delay. */
    volatile long prefillEndNanos;
    private final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
    private volatile boolean cancelled;

    GenerationJob(GenerationRequest request) {
        this.request = request;
    }

    void cancel() {
        cancelled = true;
    }

    boolean cancelled() {
        return cancelled;
    }

    void post(Event e) {
        events.add(e);
    }

    /** The next event, waiting at most {@code millis} (null when none came). */
    Event next(long millis) throws InterruptedException {
        return events.poll(millis, TimeUnit.MILLISECONDS);
    }
}

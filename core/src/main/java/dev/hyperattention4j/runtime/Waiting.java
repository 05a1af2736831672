package dev.hyperattention4j.runtime;

import java.util.function.BooleanSupplier;

/** Waiting for a flag that another thread sets (a warm-up's "finished"), without spinning. */
public final class Waiting {
    private Waiting() {}

    /**
     * Returns once {@code done} is true, looking every millisecond (asleep in between: the thread that sets it and
     * the JIT need the cores), or early when the calling thread is interrupted, with its interrupt flag set again.
     */
    public static void until(BooleanSupplier done) {
        while (!done.getAsBoolean()) {
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}

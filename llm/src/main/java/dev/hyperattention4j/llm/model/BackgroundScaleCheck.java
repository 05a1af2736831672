package dev.hyperattention4j.llm.model;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;

/**
 * {@link WeightScanner#checkScales} on a thread of its own, so that the page faults of its pass over a mapped file
 * (most of a large model's load time) overlap the loader's metadata checks and tokenizer build. The loader
 * {@linkplain #await awaits} it before it returns a model or closes the mapping, so a bad scale is still reported by
 * the load, and before any weight is used.
 */
public final class BackgroundScaleCheck {
    private final FutureTask<Void> task;

    private BackgroundScaleCheck(FutureTask<Void> task) {
        this.task = task;
    }

    /** Starts checking {@code tensors} (their data must live in a shared arena); {@code file} names the model. */
    public static BackgroundScaleCheck start(Path file, List<WeightTensor> tensors) {
        FutureTask<Void> task = new FutureTask<>(() -> {
            WeightScanner.checkScales(file, tensors);
            return null;
        });
        Thread.ofPlatform().daemon().name("ha4j-scale-check").start(task);
        return new BackgroundScaleCheck(task);
    }

    /**
     * Waits for the check to end (uninterruptibly: the mapping must not be closed under it).
     *
     * @throws NonFiniteWeightException for the first bad scale in tensor order
     */
    public void await() throws NonFiniteWeightException {
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    task.get();
                    return;
                } catch (InterruptedException e) {
                    interrupted = true;
                } catch (ExecutionException e) {
                    switch (e.getCause()) {
                        case NonFiniteWeightException bad -> throw bad;
                        case RuntimeException r -> throw r;
                        case Error err -> throw err;
                        default -> throw new IllegalStateException(e.getCause());
                    }
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }
}

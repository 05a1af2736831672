package dev.hyperattention4j.cli.bench;

/**
 * One measured point of the {@code bench} table. Times in milliseconds per call (median, min, max over
 * {@code repetitions}); {@code gflops} counts 4·nq·nk·d per head, half of it when causal; {@code percentOfPeak} is
 * against the FMA peak measured for the same thread count in the same run; {@code speedupVsExact} is the exact
 * tiled kernel's median time over this case's at the same point (NaN when the exact kernel did not run there);
 * {@code relativeError} is ‖Ô − O‖/‖O‖ and {@code errorVsValues} the row error on the scale of V's rows
 * ({@link dev.hyperattention4j.reference.AttentionError}), both over sampled rows against a double-precision reference.
 */
record BenchRow(String implementation, int n, int headDim, boolean causal, int threads, double medianMs,
                double minMs, double maxMs, int repetitions, double gflops, double percentOfPeak,
                double speedupVsExact, double relativeError, double errorVsValues, long allocatedBytesPerCall) {}

package dev.hyperattention4j.llm.train;

import dev.hyperattention4j.runtime.WorkerPool;

/**
 * The training loop: each optimizer step averages the gradients of {@code microBatches} windows of the training
 * tokens, clips their global norm, and applies AdamW at the scheduled learning rate. The window of (step, micro-batch)
 * is drawn from a generator seeded by (seed, step, micro-batch) alone ({@link TrainingWindows}), and HyperAttention's
 * seeds are derived from the same position, so the run is a pure function of (settings, data, starting weights): a resumed run repeats an
 * uninterrupted one bit for bit, on any number of threads.
 */
public final class Trainer {
    /** What one optimizer step did. */
    public record Step(long step, double loss, double gradientNorm, double learningRate, long tokens) {
    }

    private final LlamaParameters params;
    private final LlamaParameters grads;
    private final AdamW optimizer;
    private final TrainingSettings settings;
    private final TrainingWindows windows;
    private final WorkerPool pool;
    private final LlamaBackprop backprop;
    private long step;

    /**
     * @param done steps already taken (0 for a new run; the checkpoint's step when resuming, with the optimizer's
     *             moments restored)
     */
    public Trainer(LlamaParameters params, AdamW optimizer, TrainingSettings settings, int[] trainTokens, long done,
                   WorkerPool pool) {
        this.params = params;
        this.grads = params.zerosLike();
        this.optimizer = optimizer;
        this.settings = settings;
        this.windows = new TrainingWindows(trainTokens, settings.context(), settings.seed(), settings.repeatFraction(),
                settings.repeatSource());
        this.pool = pool;
        this.backprop = new LlamaBackprop(params.config(), settings.context(), settings.attention(), pool);
        this.step = done;
    }

    public long step() { return step; }

    public LlamaParameters parameters() { return params; }

    public AdamW optimizer() { return optimizer; }

    public TrainingSettings settings() { return settings; }

    /** Time per phase of the steps (and evaluations) so far. */
    public StepProfile profile() { return backprop.profile(); }

    /** Runs the next optimizer step. */
    public Step next() {
        long s = step + 1;
        int n = settings.context(), micro = settings.microBatches();
        grads.clear();
        double loss = 0;
        int[] window = new int[n + 1];
        for (int j = 0; j < micro; j++) {
            windows.fill(s, j, window);
            backprop.setCalls(s * micro + j);
            loss += backprop.lossAndGradient(params, window, n, grads, 1f / micro);
        }
        backprop.profile().start();
        double norm = GradientNorm.clip(grads, settings.clipNorm(), pool);
        double lr = settings.learningRate().at(s);
        optimizer.update(params, grads, s, lr, pool);
        backprop.profile().lap(StepProfile.Phase.OPTIMIZER);
        step = s;
        return new Step(s, loss / micro, norm, lr, (long) n * micro);
    }

    /**
     * Mean loss over up to {@code maxWindows} consecutive non-overlapping windows of {@code tokens} (all of them when
     * 0), or NaN when the text is shorter than one window: forward passes only, with the run's attention.
     */
    public double evaluate(int[] tokens, int maxWindows) {
        int n = settings.context();
        int windows = (tokens.length - 1) / n;
        if (maxWindows > 0) {
            windows = Math.min(windows, maxWindows);
        }
        if (windows == 0) {
            return Double.NaN;
        }
        double sum = 0;
        int[] window = new int[n + 1];
        backprop.profile().pause(true);
        try {
            for (int w = 0; w < windows; w++) {
                System.arraycopy(tokens, w * n, window, 0, n + 1);
                backprop.setCalls(-1 - w);
                sum += backprop.loss(params, window, n);
            }
        } finally {
            backprop.profile().pause(false);
        }
        return sum / windows;
    }
}

package dev.hyperattention4j.llm.testing;

/** The shortest wall time of a few runs: the speed mains' figure (the least disturbed run on a shared machine). */
public final class BestTime {
    /** Work to time; may throw. */
    public interface Task {
        void run() throws Exception;
    }

    private BestTime() {}

    /** The best of {@code runs} runs of {@code task}, in seconds. */
    public static double seconds(int runs, Task task) throws Exception {
        double best = Double.MAX_VALUE;
        for (int i = 0; i < runs; i++) {
            long t0 = System.nanoTime();
            task.run();
            best = Math.min(best, (System.nanoTime() - t0) / 1e9);
        }
        return best;
    }
}

package dev.hyperattention4j.llm.runtime;

import dev.hyperattention4j.llm.model.DType;
import dev.hyperattention4j.llm.model.ModelConfig;
import dev.hyperattention4j.llm.model.RopeStyle;
import dev.hyperattention4j.runtime.WorkerPool;

/**
 * Bytes allocated by 200 warm single-threaded decode steps, printed as {@code bytes=N}: batches of 200 steps are
 * measured until one is clean (at most 100), since interpreted vector code boxes before C2 has compiled the kernels.
 * Run in a JVM of its own by {@link LlamaSessionTest#decodeDoesNotAllocate}, so what other tests compiled first
 * (their call-site profiles) cannot decide whether escape analysis removes a temporary here.
 */
public final class DecodeAllocationMain {
    private DecodeAllocationMain() {
    }

    public static void main(String[] args) {
        KernelWarmup.awaitReady();
        ModelConfig c = SyntheticModel.config(64, 172, 2, 8, 4, 96, RopeStyle.INTERLEAVED, true);
        LlamaModel model = LlamaModel.of(c, new SyntheticModel(c, 12, DType.F32, false));
        com.sun.management.ThreadMXBean mx =
                (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        try (WorkerPool one = new WorkerPool(1)) {
            LlamaSession s = model.newSession(600, AttentionPlan.exact(new RowwiseAttention(one)), one);
            long bytes = Long.MAX_VALUE;
            for (int batch = 0; batch < 100 && bytes >= 2048; batch++) {
                s.reset();
                long before = mx.getCurrentThreadAllocatedBytes();
                for (int i = 0; i < 200; i++) {
                    s.decode(i % 96);
                }
                bytes = mx.getCurrentThreadAllocatedBytes() - before;
            }
            System.out.println("bytes=" + bytes);
        }
    }
}

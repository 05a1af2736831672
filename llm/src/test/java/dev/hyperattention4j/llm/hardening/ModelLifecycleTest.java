package dev.hyperattention4j.llm.hardening;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.hyperattention4j.attention.FlashAttention;
import dev.hyperattention4j.llm.model.DType;
import dev.hyperattention4j.llm.model.Model;
import dev.hyperattention4j.llm.model.ModelLoader;
import dev.hyperattention4j.llm.runtime.AttentionPlan;
import dev.hyperattention4j.llm.runtime.LlamaModel;
import dev.hyperattention4j.llm.runtime.LlamaSession;
import dev.hyperattention4j.llm.testing.TinyModels;
import dev.hyperattention4j.runtime.WorkerPool;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Resource safety of opened models (issue #9): 1,000 open/close cycles per format leave the process's file
 * descriptors, memory mappings and heap where they were; a closed model fails with a clear
 * {@link IllegalStateException}, never a JVM crash, including when it is closed under a running forward pass.
 */
class ModelLifecycleTest {
    private static final int CYCLES = 1000;

    @TempDir
    Path tmp;

    private List<Path> modelsOfEveryFormat() throws Exception {
        return List.of(
                TinyModelFiles.writeLlama2c(tmp.resolve("l2c"), TinyModelFiles.llama2c(), TinyModelFiles.tokenizerBin()),
                TinyModelFiles.writeHfDir(tmp.resolve("hf")),
                TinyModels.gguf(DType.Q8_0, 3).write(Files.createDirectories(tmp.resolve("gguf")).resolve("m.gguf")));
    }

    private static long count(Stream<?> s) {
        try (s) {
            return s.count();
        }
    }

    private static long openFiles() throws Exception {
        return count(Files.list(Path.of("/proc/self/fd")));
    }

    private static long mappings() throws Exception {
        return count(Files.lines(Path.of("/proc/self/maps")));
    }

    private static long heapAfterGc() {
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    @Test
    void openingAndClosingAThousandTimesLeaksNothing() throws Exception {
        assumeTrue(Files.isDirectory(Path.of("/proc/self/fd")), "skipped: /proc/self is not available");
        List<Path> models = modelsOfEveryFormat();
        for (int warm = 0; warm < 30; warm++) {  // class loading, JIT and the first mappings settle first
            for (Path p : models) {
                try (Model m = ModelLoader.open(p)) {
                    assertThat(m.tokenizer().vocabSize()).isPositive();
                }
            }
        }
        long fds = openFiles(), maps = mappings(), heap = heapAfterGc();
        // by name, not by line count: other threads (JIT, GC, malloc) map and unmap memory at any time
        String first = models.getFirst().toRealPath().toString();
        long mappedWhileOpen;
        try (Model m = ModelLoader.open(models.getFirst())) {
            try (Stream<String> lines = Files.lines(Path.of("/proc/self/maps"))) {
                mappedWhileOpen = lines.filter(l -> l.endsWith(first)).count();
            }
        }
        assertThat(mappedWhileOpen).as("an open model shows up in /proc/self/maps").isPositive();
        for (Path p : models) {
            for (int i = 0; i < CYCLES; i++) {
                try (Model m = ModelLoader.open(p)) {
                    assertThat(m.weights().finalNorm().data().byteSize()).isPositive();
                }
            }
        }
        // a leak of one descriptor or mapping per open would add thousands; allow a little for other threads
        assertThat(openFiles()).as("open file descriptors after %d cycles", 3 * CYCLES).isLessThanOrEqualTo(fds + 4);
        assertThat(mappings()).as("mappings after %d cycles", 3 * CYCLES).isLessThanOrEqualTo(maps + 32);
        assertThat(heapAfterGc() - heap).as("heap growth in bytes").isLessThan(16L << 20);
    }

    @Test
    void aClosedModelIsAClearErrorNotACrash() throws Exception {
        for (Path p : modelsOfEveryFormat()) {
            Model m = ModelLoader.open(p);
            LlamaModel prepared = LlamaModel.of(m);
            LlamaSession session = prepared.newSession(8, AttentionPlan.exact(new FlashAttention()), WorkerPool.shared());
            float[] before = session.forwardLast(new int[] {1, 260, 261}).clone();
            for (int i = 0; i < m.config().vocabSize(); i++) {
                assertThat(before[i]).isFinite();
            }
            m.close();
            m.close();   // idempotent
            assertThatThrownBy(m::weights).isInstanceOf(IllegalStateException.class).hasMessageContaining("is closed");
            assertThatThrownBy(m::tensors).isInstanceOf(IllegalStateException.class).hasMessageContaining("is closed");
            session.reset();
            // the prepared runtime still points into the unmapped file: FFM refuses the access
            assertThatThrownBy(() -> session.forwardLast(new int[] {1, 260, 261}))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
        }
    }

    @Test
    void closingUnderARunningForwardPassFailsThatPassCleanly() throws Exception {
        Path p = modelsOfEveryFormat().getFirst();
        int n = 4096;
        int[] tokens = new int[n];
        for (int i = 0; i < n; i++) {
            tokens[i] = 3 + (i * 31) % 256;
        }
        for (int attempt = 0; attempt < 3; attempt++) {
            Model m = ModelLoader.open(p);
            LlamaSession session = LlamaModel.of(m).newSession(n, AttentionPlan.exact(new FlashAttention()),
                    WorkerPool.shared());
            AtomicReference<Throwable> thrown = new AtomicReference<>();
            CountDownLatch running = new CountDownLatch(1);
            Thread runner = new Thread(() -> {
                // passes until one fails (bounded): a fixed number of rounds could all end before the close
                long deadline = System.nanoTime() + 60_000_000_000L;
                try {
                    while (System.nanoTime() < deadline) {
                        session.reset();
                        running.countDown();
                        session.forwardLast(tokens);
                    }
                } catch (Throwable e) {
                    thrown.set(e);
                }
            }, "forward-under-close");
            runner.start();
            assertThat(running.await(60, TimeUnit.SECONDS)).isTrue();
            Thread.sleep(5L * attempt);
            // FFM either refuses the close while an access is in flight (then it is retried) or fails the next
            // access: both are IllegalStateExceptions, and the JVM is still here to check it
            Throwable closeError = catchThrowable(m::close);
            while (closeError != null && runner.isAlive()) {
                assertThat(closeError).isInstanceOf(IllegalStateException.class);
                Thread.sleep(1);
                closeError = catchThrowable(m::close);
            }
            runner.join(120_000);
            assertThat(runner.isAlive()).isFalse();
            if (closeError != null) {
                m.close();
            }
            assertThat(thrown.get()).isInstanceOf(IllegalStateException.class);
        }
        try (Model m = ModelLoader.open(p)) {   // and the file opens normally afterwards
            assertThat(LlamaModel.of(m).newSession(4, AttentionPlan.exact(new FlashAttention()), WorkerPool.shared())
                    .forwardLast(new int[] {1, 260})).hasSizeGreaterThanOrEqualTo(TinyModelFiles.VOCAB);
        }
    }
}

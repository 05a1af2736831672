package dev.hyperattention4j.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.CancellationException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class WorkerPoolTest {

    @Test
    void everyUnitRunsExactlyOnceWithWorkerIdsInRange() {
        try (WorkerPool pool = new WorkerPool(3)) {
            AtomicIntegerArray runs = new AtomicIntegerArray(1000);
            AtomicInteger badWorker = new AtomicInteger();
            pool.run(1000, (worker, unit) -> {
                runs.incrementAndGet(unit);
                if (worker < 0 || worker >= 3) {
                    badWorker.incrementAndGet();
                }
            });
            for (int u = 0; u < 1000; u++) {
                assertThat(runs.get(u)).as("unit %d", u).isEqualTo(1);
            }
            assertThat(badWorker.get()).isZero();
        }
    }

    @Test
    void concurrentCallersAllCompleteWithoutDeadlock() throws Exception {
        try (WorkerPool pool = new WorkerPool(2)) {
            int callers = 8;
            AtomicInteger total = new AtomicInteger();
            Thread[] threads = new Thread[callers];
            AtomicReference<Throwable> failure = new AtomicReference<>();
            for (int c = 0; c < callers; c++) {
                threads[c] = new Thread(() -> {
                    try {
                        for (int rep = 0; rep < 50; rep++) {
                            pool.run(17, (w, u) -> total.incrementAndGet());
                        }
                    } catch (Throwable t) {
                        failure.set(t);
                    }
                });
                threads[c].start();
            }
            for (Thread t : threads) {
                t.join(30_000);
                assertThat(t.isAlive()).as("caller finished").isFalse();
            }
            assertThat(failure.get()).isNull();
            assertThat(total.get()).isEqualTo(callers * 50 * 17);
        }
    }

    @Test
    void nestedCallsRunInline() {
        try (WorkerPool pool = new WorkerPool(2)) {
            AtomicInteger inner = new AtomicInteger();
            pool.run(4, (w, u) -> pool.run(5, (w2, u2) -> inner.incrementAndGet()));
            assertThat(inner.get()).isEqualTo(20);
        }
    }

    @Test
    void taskExceptionPropagatesAndPoolStaysUsable() {
        try (WorkerPool pool = new WorkerPool(2)) {
            assertThatThrownBy(() -> pool.run(100, (w, u) -> {
                if (u == 37) {
                    throw new IllegalStateException("boom at 37");
                }
            })).isInstanceOf(IllegalStateException.class).hasMessage("boom at 37");
            AtomicInteger count = new AtomicInteger();
            pool.run(10, (w, u) -> count.incrementAndGet());
            assertThat(count.get()).isEqualTo(10);
        }
    }

    @Test
    void interruptStopsALongCallPromptlyAndPoolStaysUsable() throws Exception {
        try (WorkerPool pool = new WorkerPool(2)) {
            CountDownLatch started = new CountDownLatch(1);
            AtomicInteger ran = new AtomicInteger();
            AtomicReference<Throwable> thrown = new AtomicReference<>();
            Thread caller = new Thread(() -> {
                try {
                    pool.run(100_000, (w, u) -> {
                        started.countDown();
                        ran.incrementAndGet();
                        long end = System.nanoTime() + 1_000_000; // 1 ms of work per unit: 100 s in total
                        while (System.nanoTime() < end) {
                            Thread.onSpinWait();
                        }
                    });
                } catch (Throwable t) {
                    thrown.set(t);
                }
            });
            caller.start();
            assertThat(started.await(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
            caller.interrupt();
            caller.join(10_000);
            assertThat(caller.isAlive()).as("interrupted call returned").isFalse();
            assertThat(thrown.get()).isInstanceOf(CancellationException.class);
            assertThat(ran.get()).isLessThan(100_000);
            AtomicInteger after = new AtomicInteger();
            pool.run(10, (w, u) -> after.incrementAndGet());
            assertThat(after.get()).isEqualTo(10);
        }
    }

    @Test
    void rejectsInvalidThreadCounts() {
        assertThatThrownBy(() -> new WorkerPool(0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("threads");
    }
}

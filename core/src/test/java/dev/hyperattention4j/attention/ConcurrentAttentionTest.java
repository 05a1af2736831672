package dev.hyperattention4j.attention;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hyperattention4j.attention.hyper.HyperAttention;
import dev.hyperattention4j.attention.hyper.HyperConfig;
import dev.hyperattention4j.attention.hyper.SampleSource;
import dev.hyperattention4j.runtime.WorkerPool;
import dev.hyperattention4j.tensor.FloatTensor;
import dev.hyperattention4j.testing.ConcurrentCallers;
import dev.hyperattention4j.testing.Interrupted;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CancellationException;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * Concurrency and cancellation through the attention implementations on the shared {@link WorkerPool}: many
 * concurrent callers get bit-identical results to sequential calls with no deadlock, and interrupting a long call
 * stops it promptly with a {@link CancellationException} and leaves the pool usable.
 */
class ConcurrentAttentionTest {
    private static final int CALLERS = 6, ROUNDS = 4;

    /** Bit-identical: every output row comes from one unit with a fixed reduction order, whatever the JIT state. */
    private static boolean close(float[] a, float[] b) {
        return java.util.Arrays.equals(a, b);
    }

    private static FloatTensor random(Random r, int h, int n, int d) {
        return AttentionEdgeCasesTest.random(r, 1, h, n, d, 1);
    }

    /** One call of a fixed kind on fixed inputs; hyper calls pass their own seeded sample source. */
    private record Call(String kind, FloatTensor q, FloatTensor k, FloatTensor v, boolean causal) {
        float[] run(WorkerPool pool) {
            AttentionProblem p = AttentionProblem.of(q, k, v).withCausal(causal).withLogSumExp();
            switch (kind) {
                case "flash" -> new FlashAttention(pool).forward(p);
                case "hyper" -> {
                    HyperConfig c = HyperConfig.defaults().withBlockSize(32).withSampleSize(32).withMinSeqLen(64);
                    new HyperAttention(c, pool).forward(p, SampleSource.seeded(c.seed(), 0, 7), null);
                }
                default -> throw new IllegalArgumentException(kind);
            }
            float[] out = p.output().toArray();
            float[] all = java.util.Arrays.copyOf(out, out.length + p.logSumExp().length);
            System.arraycopy(p.logSumExp(), 0, all, out.length, p.logSumExp().length);
            return all;
        }
    }

    @Test
    void concurrentCallersGetTheSequentialResults() throws Exception {
        Random r = new Random(1);
        List<Call> calls = new ArrayList<>();
        for (int i = 0; i < CALLERS; i++) {
            int n = 200 + 97 * i;
            calls.add(new Call(i % 2 == 0 ? "flash" : "hyper", random(r, 4, n, 32), random(r, 2, n, 32),
                    random(r, 2, n, 32), i % 3 != 0));
        }
        WorkerPool pool = WorkerPool.shared();
        List<float[]> sequential = new ArrayList<>();
        for (Call c : calls) {   // cold: the reference is taken before the kernels are JIT-compiled (F6)
            sequential.add(c.run(pool));
        }
        // every caller meets every kind of call; a deadlock shows up as a timeout rather than a hung build
        List<Integer> identical = ConcurrentCallers.matchingRounds(CALLERS, ROUNDS, 120,
                c -> close(calls.get(c).run(pool), sequential.get(c)));
        for (int count : identical) {
            assertThat(count).isEqualTo(ROUNDS);
        }
    }

    private static void repeat(int times, Runnable call) {
        for (int i = 0; i < times; i++) {
            call.run();
        }
    }

    @Test
    void interruptingALongCallStopsItPromptlyAndThePoolStaysUsable() throws Exception {
        Random r = new Random(2);
        int n = 32768, d = 64;   // about 2.7e11 flops non-causal: tens of seconds on two cores, never done in 300 ms
        FloatTensor q = random(r, 1, n, d), k = random(r, 1, n, d), v = random(r, 1, n, d);
        // HyperAttention with the paper's b = m = 256 at n = 131072: seconds of work in units of ~1e8 flops
        int nh = 131072;
        // 4 heads: the faster HyperAttention finishes one head at 131072 within the 300 ms before the interrupt
        FloatTensor qh = random(r, 4, nh, d), kh = random(r, 4, nh, d), vh = random(r, 4, nh, d);
        HyperConfig paper = HyperConfig.defaults().withMinSeqLen(1024);
        List<Consumer<WorkerPool>> longCalls = List.of(
                pool -> new FlashAttention(pool).forward(AttentionProblem.of(q, k, v)),
                pool -> new FlashAttention(pool).forward(AttentionProblem.of(q, k, v).withCausal(true)),
                // one hyper call takes well under a second on an idle machine, so repeat it: the interrupt must
                // land inside some call (or between two, where the next call's first pool job sees the flag)
                pool -> repeat(50, () -> new HyperAttention(paper, pool).forward(AttentionProblem.of(qh, kh, vh))),
                pool -> repeat(50, () -> new HyperAttention(paper, pool)
                        .forward(AttentionProblem.of(qh, kh, vh).withCausal(true))));
        Call check = new Call("flash", random(r, 2, 300, 16), random(r, 1, 300, 16), random(r, 1, 300, 16), true);
        WorkerPool pool = WorkerPool.shared();
        float[] before = check.run(pool);
        for (int i = 0; i < longCalls.size(); i++) {
            Consumer<WorkerPool> longCall = longCalls.get(i);
            // started on a new thread, interrupted after 300 ms
            Interrupted stop = Interrupted.after(300, 30_000, "long-attention-call", () -> longCall.accept(pool));
            assertThat(stop.stillRunning()).as("the interrupted call is still running").isFalse();
            Throwable thrown = stop.thrown();
            assertThat(thrown).as("long call %d", i).isInstanceOf(CancellationException.class);
            // one unit is a few tile rows against all keys (flash) or one block with its samples (hyper): well
            // under a second on an idle machine; the bound allows for a heavily shared one
            assertThat(stop.stopMillis()).as("milliseconds from interrupt to return, long call %d", i)
                    .isLessThan(10_000);
            assertThat(close(check.run(pool), before)).as("pool usable after a cancelled call").isTrue();
        }
    }
}

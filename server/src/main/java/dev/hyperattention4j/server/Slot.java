package dev.hyperattention4j.server;

import dev.hyperattention4j.attention.Attention;
import dev.hyperattention4j.llm.runtime.AttentionPlan;
import dev.hyperattention4j.llm.runtime.LlamaModel;
import dev.hyperattention4j.llm.runtime.LlamaSession;
import dev.hyperattention4j.llm.runtime.Sampler;
import dev.hyperattention4j.llm.runtime.StopStrings;
import dev.hyperattention4j.llm.tokenizer.StreamingDecoder;
import dev.hyperattention4j.llm.tokenizer.Tokenizer;
import dev.hyperattention4j.runtime.WorkerPool;

/**
 * One generation at a time on its own KV cache and threads. The cache keeps the tokens of the previous request
 * (prompt and generated), so a request that starts with the same tokens (the next turn of a chat) prefills only
 * what differs. A request with HyperAttention prefills from position 0: HyperAttention answers a call whose queries
 * continue a cached prefix exactly, so reusing the cache would silently turn the requested approximation off.
 */
final class Slot {
    final int index;
    private final LlamaSession session;
    private final Tokenizer tokenizer;
    private final int vocab;
    private final int[] stopIds;
    private final WorkerPool pool;
    private final Attention exact;
    private final AttentionPlan exactPlan;
    private final float[] logits;
    private final int[] cached;
    private int cachedLength;

    Slot(int index, LlamaModel model, Tokenizer tokenizer, int context, WorkerPool pool, Attention exact) {
        this.index = index;
        this.pool = pool;
        this.exact = exact;
        this.exactPlan = AttentionPlan.exact(exact);
        this.session = model.newSession(context, exactPlan, pool);
        this.tokenizer = tokenizer;
        // rows past the tokenizer's vocabulary are padding, never sampled; every EOS id the files list stops (#25)
        this.vocab = Math.min(model.config().vocabSize(), tokenizer.vocabSize());
        this.stopIds = tokenizer.stopIds().length > 0 ? tokenizer.stopIds() : new int[] {model.config().eosId()};
        this.logits = new float[session.logitStride()];
        this.cached = new int[context];
    }

    int context() {
        return session.capacity();
    }

    /**
     * Runs the job to its end, posting its text as it comes and then its outcome (or a failure).
     *
     * @return the outcome, or null when the generation failed
     */
    GenerationJob.Outcome run(GenerationJob job) {
        try {
            GenerationJob.Outcome outcome = generate(job);
            job.post(new GenerationJob.Done(outcome));
            return outcome;
        } catch (RuntimeException e) {
            cachedLength = 0;   // the cache may hold a partial prefill
            session.reset();
            job.post(new GenerationJob.Failed("generation failed: " + e.getMessage()));
            return null;
        }
    }

    private GenerationJob.Outcome generate(GenerationJob job) {
        GenerationRequest r = job.request;
        int[] prompt = r.prompt();
        int reuse = 0;
        if (r.hyper().patches()) {
            session.usePlan(r.hyper().plan(exact, session.config().layers(), pool));
        } else {
            session.usePlan(exactPlan);
            reuse = Math.min(commonPrefix(prompt), prompt.length - 1);   // at least one token yields the logits
        }
        session.truncate(Math.min(reuse, session.position()));
        cachedLength = reuse;
        long t0 = System.nanoTime();
        int fresh = prompt.length - reuse;
        session.forward(prompt, reuse, fresh, logits, fresh - 1);
        System.arraycopy(prompt, reuse, cached, reuse, fresh);
        cachedLength = prompt.length;
        long t1 = System.nanoTime();
        job.prefillEndNanos = t1;

        Sampler sampler = new Sampler(r.sampling());
        StreamingDecoder decoder = tokenizer.streamingDecoder();
        for (int t : prompt) {
            decoder.next(t);   // the first new token keeps its leading space after the prompt
            sampler.accept(t);   // the penalties look at the prompt too, as llama.cpp's do
        }
        StopStrings stops = new StopStrings(r.stop());
        StringBuilder text = new StringBuilder();
        int generated = 0;
        String finish = "length";
        float[] current = logits;
        while (true) {
            if (job.cancelled()) {
                finish = "cancelled";
                break;
            }
            int next = sampler.sample(current, vocab);
            if (java.util.Arrays.stream(stopIds).anyMatch(id -> id == next)) {
                finish = "stop";
                break;
            }
            generated++;
            emit(job, text, stops.accept(decoder.next(next)));
            if (stops.stopped()) {
                finish = "stop";
                break;
            }
            if (generated >= r.maxTokens() || session.position() >= session.capacity()) {
                break;
            }
            current = session.decode(next);
            cached[cachedLength++] = next;
        }
        if (!stops.stopped()) {
            emit(job, text, stops.accept(decoder.flush()));
            emit(job, text, stops.flush());
        }
        long t2 = System.nanoTime();
        return new GenerationJob.Outcome(text.toString(), prompt.length, reuse, generated, finish, (t1 - t0) / 1e6,
                (t2 - t1) / 1e6, t1);
    }

    private static void emit(GenerationJob job, StringBuilder text, String piece) {
        if (!piece.isEmpty()) {
            text.append(piece);
            job.post(new GenerationJob.Piece(piece));
        }
    }

    /**
     * Tokens at the start of {@code prompt} that the cache already holds. Called by the scheduler only while the
     * slot is idle (its lock orders it after the slot's last write).
     */
    int commonPrefix(int[] prompt) {
        int n = Math.min(cachedLength, prompt.length);
        int i = 0;
        while (i < n && cached[i] == prompt[i]) {
            i++;
        }
        return i;
    }
}

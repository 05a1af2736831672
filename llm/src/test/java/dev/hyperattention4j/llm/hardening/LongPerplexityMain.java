package dev.hyperattention4j.llm.hardening;

import dev.hyperattention4j.attention.FlashAttention;
import dev.hyperattention4j.llm.model.Model;
import dev.hyperattention4j.llm.model.ModelLoader;
import dev.hyperattention4j.llm.runtime.AttentionPlan;
import dev.hyperattention4j.llm.runtime.LlamaModel;
import dev.hyperattention4j.llm.runtime.LlamaSession;
import dev.hyperattention4j.llm.runtime.Perplexity;
import dev.hyperattention4j.runtime.WorkerPool;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Run by {@link LongPerplexityMemoryTest} in a JVM with a small heap: perplexity of a model over the first
 * {@code tokens} tokens of a text in llama.cpp windows of {@code context}. Prints {@code RESULT ppl processed peakHeap scored}.
 */
public final class LongPerplexityMain {
    private LongPerplexityMain() {}

    public static void main(String[] args) throws Exception {
        Path modelPath = Path.of(args[0]);
        String text = Files.readString(Path.of(args[1]), StandardCharsets.UTF_8);
        int tokens = Integer.parseInt(args[2]);
        int context = Integer.parseInt(args[3]);
        try (Model m = ModelLoader.open(modelPath)) {
            int[] ids = m.tokenizer().encode(text, true);
            if (ids.length < tokens) {
                throw new IllegalStateException("the text has only " + ids.length + " tokens");
            }
            ids = Arrays.copyOf(ids, tokens);
            text = null; // the text is not needed any more; the bound is about the scoring
            LlamaSession session = LlamaModel.of(m).newSession(context, AttentionPlan.exact(new FlashAttention()),
                    WorkerPool.shared());
            Perplexity.Result r = Perplexity.windows(session, ids, context, m.config().bosId(), 0, null);
            long peak = 0;
            for (var pool : java.lang.management.ManagementFactory.getMemoryPoolMXBeans()) {
                if (pool.getType() == java.lang.management.MemoryType.HEAP) {
                    peak += pool.getPeakUsage().getUsed();
                }
            }
            System.out.println("RESULT " + r.perplexity() + " " + r.tokensProcessed() + " " + peak + " " + r.tokensScored());
        }
    }
}

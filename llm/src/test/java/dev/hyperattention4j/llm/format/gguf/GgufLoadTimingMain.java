package dev.hyperattention4j.llm.format.gguf;

import dev.hyperattention4j.llm.format.io.MappedFile;
import dev.hyperattention4j.llm.model.LoadedModel;
import dev.hyperattention4j.llm.model.WeightScanner;
import dev.hyperattention4j.llm.runtime.LlamaModel;
import dev.hyperattention4j.llm.tokenizer.GgufTokenizers;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;

/**
 * Where the time of loading a GGUF file goes: mapping, metadata parsing, the load-time scale check, the tokenizer,
 * then the whole {@link GgufLoader#open} and {@link LlamaModel#of} as the commands run them; heap after a GC.
 * {@code -Dtouch=true} faults every page in before the scale check, to separate the page faults from the check.
 * Run (after {@code mvn -pl llm -am test-compile}): {@code java --add-modules jdk.incubator.vector
 * -cp llm/target/classes:llm/target/test-classes:core/target/classes:$(deps)
 * dev.hyperattention4j.llm.format.gguf.GgufLoadTimingMain FILE}.
 */
public final class GgufLoadTimingMain {
    private GgufLoadTimingMain() {}

    public static void main(String[] args) throws Exception {
        Path file = Path.of(args[0]);
        for (int round = 0; round < 3; round++) {
            long t0 = System.nanoTime();
            try (Arena arena = Arena.ofShared()) {
                MemorySegment data = MappedFile.map(file, arena);
                long t1 = System.nanoTime();
                GgufFile gguf = GgufFile.parse(file, data);
                long t2 = System.nanoTime();
                long touched = 0;
                if (Boolean.getBoolean("touch")) {   // fault every page in first: what the check costs without faults
                    for (long p = 0; p < data.byteSize(); p += 4096) {
                        touched += data.get(java.lang.foreign.ValueLayout.JAVA_BYTE, p);
                    }
                }
                long t2b = System.nanoTime();
                WeightScanner.checkScales(file, gguf.tensors().values());
                long t3 = System.nanoTime();
                System.out.printf("page touch %.3f s (%d)%n", (t2b - t2) / 1e9, touched);
                GgufTokenizers.build(file, gguf.metadata());
                long t4 = System.nanoTime();
                System.out.printf("map %.3f s, metadata %.3f s, scale check %.3f s, tokenizer %.3f s%n",
                        (t1 - t0) / 1e9, (t2 - t1) / 1e9, (t3 - t2b) / 1e9, (t4 - t3) / 1e9);
            }
            long t5 = System.nanoTime();
            try (LoadedModel m = GgufLoader.open(file)) {
                long t6 = System.nanoTime();
                LlamaModel lm = LlamaModel.of(m);
                long t7 = System.nanoTime();
                System.gc();
                Runtime r = Runtime.getRuntime();
                System.out.printf("GgufLoader.open %.3f s, LlamaModel.of %.3f s, total %.3f s; heap %.1f MB (%s)%n",
                        (t6 - t5) / 1e9, (t7 - t6) / 1e9, (t7 - t5) / 1e9, (r.totalMemory() - r.freeMemory()) / 1e6,
                        lm.config().architecture());
            }
        }
    }
}

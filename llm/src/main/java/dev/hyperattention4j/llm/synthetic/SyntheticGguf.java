package dev.hyperattention4j.llm.synthetic;

import dev.hyperattention4j.llm.format.gguf.GgufWriter;
import dev.hyperattention4j.llm.model.ModelConfig;
import dev.hyperattention4j.llm.model.WeightTensor;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.Map;

/**
 * Writes {@link RandomWeights} as a GGUF file that this runtime and the GGUF ecosystem's tools load: the
 * architecture's hyperparameter keys and a SentencePiece-style vocabulary of the model's size (3 control tokens,
 * 256 byte tokens, then placeholder pieces), so other runtimes can be timed on exactly the same file.
 */
public final class SyntheticGguf {
    private SyntheticGguf() {
    }

    public static void write(RandomWeights weights, String name, Path file) throws IOException {
        ModelConfig c = weights.config();
        String arch = c.architecture();
        GgufWriter w = new GgufWriter();
        w.putString("general.architecture", arch);
        w.putString("general.name", name);
        w.putHyperparameters(arch, c);
        vocabulary(w, c.vocabSize());
        for (Map.Entry<String, WeightTensor> e : weights.tensors().entrySet()) {
            WeightTensor t = e.getValue();
            MemorySegment data = t.data();
            w.addTensor(e.getKey(), t.type(), t.shape(), out -> {
                byte[] buf = new byte[1 << 20];
                for (long at = 0; at < data.byteSize(); at += buf.length) {
                    int n = (int) Math.min(buf.length, data.byteSize() - at);
                    MemorySegment.copy(data, ValueLayout.JAVA_BYTE, at, buf, 0, n);
                    out.write(buf, 0, n);
                }
            });
        }
        w.write(file);
    }

    private static void vocabulary(GgufWriter w, int n) {
        String[] pieces = new String[n];
        float[] scores = new float[n];
        int[] types = new int[n];
        for (int i = 0; i < n; i++) {
            if (i < 3) {
                pieces[i] = new String[] {"<unk>", "<s>", "</s>"}[i];
                types[i] = i == 0 ? 2 : 3;   // unknown, control
            } else if (i < 3 + 256) {
                pieces[i] = String.format("<0x%02X>", i - 3);
                types[i] = 6;   // byte
            } else {
                pieces[i] = "\u2581t" + i;
                types[i] = 1;   // normal
            }
            scores[i] = -i;
        }
        w.putString("tokenizer.ggml.model", "llama");
        w.putStrings("tokenizer.ggml.tokens", pieces);
        w.putFloats("tokenizer.ggml.scores", scores);
        w.putInts("tokenizer.ggml.token_type", types);
        w.putUInt32("tokenizer.ggml.unknown_token_id", 0);
        w.putUInt32("tokenizer.ggml.bos_token_id", 1);
        w.putUInt32("tokenizer.ggml.eos_token_id", 2);
    }
}

package dev.hyperattention4j.cli.experiment;

import dev.hyperattention4j.attention.Attention;
import dev.hyperattention4j.attention.FlashAttention;
import dev.hyperattention4j.llm.model.Model;
import dev.hyperattention4j.llm.model.ModelLoader;
import dev.hyperattention4j.llm.runtime.ExactKernels;
import dev.hyperattention4j.llm.runtime.RowwiseAttention;
import dev.hyperattention4j.runtime.WorkerPool;
import java.io.IOException;
import java.nio.file.Path;

/** A model and the tokens of a text, as the model experiments need them. */
final class ModelText {
    private ModelText() {}

    /**
     * The first tokens of {@code text} (BOS first), at least {@code needed} when the text has them. Only a prefix of
     * the file is encoded when that suffices (books have millions of tokens; an experiment needs a few windows).
     */
    static int[] tokens(Model model, Path text, long needed) throws IOException {
        String s = dev.hyperattention4j.cli.TextFile.read(text, "--text");
        long chars = needed * 8 + 4096;
        while (true) {
            boolean whole = chars >= s.length();
            int[] ids = model.tokenizer().encode(whole ? s : s.substring(0, (int) chars), true);
            if (whole || ids.length >= needed) {
                return ids;
            }
            chars *= 2;
        }
    }

    static Model open(Path model) throws IOException {
        return ModelLoader.open(model);
    }

    /**
     * The exact attention of the experiments: the row kernel at the small head dims of {@link ExactKernels}, at
     * every prompt length (the committed results were measured so), the tiled flash kernel otherwise.
     */
    static Attention exactAttention(int headDim, WorkerPool pool) {
        return headDim <= ExactKernels.ROWWISE_MAX_HEAD_DIM ? new RowwiseAttention(pool) : new FlashAttention(pool);
    }

    static String modelName(Path model) {
        Path f = model.getFileName();
        return f == null ? model.toString() : f.toString();
    }
}

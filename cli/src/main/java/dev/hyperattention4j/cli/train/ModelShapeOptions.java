package dev.hyperattention4j.cli.train;

import dev.hyperattention4j.cli.Range;
import dev.hyperattention4j.llm.model.BlockLayout;
import dev.hyperattention4j.llm.model.ModelConfig;
import dev.hyperattention4j.llm.model.RopeScaling;
import dev.hyperattention4j.llm.model.RopeStyle;
import picocli.CommandLine.Option;

/**
 * The shape of a new Llama model (a picocli mixin of {@code ha4j train} and {@code ha4j bench train}): hidden size,
 * blocks, query and key/value heads, SwiGLU width, vocabulary, RoPE base, tied head. Defaults are the shape of the
 * issue's PyTorch comparison (dim 256, 4 layers, 8 heads, FFN 768).
 */
public final class ModelShapeOptions {
    @Range(min = 2, max = 1 << 16)
    @Option(names = "--dim", paramLabel = "D", description = "New model: hidden size (default: ${DEFAULT-VALUE}).")
    int dim = 256;

    @Range(min = 1, max = 1024)
    @Option(names = "--layers", paramLabel = "L", description = "New model: blocks (default: ${DEFAULT-VALUE}).")
    int layers = 4;

    @Range(min = 1, max = 1024)
    @Option(names = "--heads", paramLabel = "H", description = "New model: query heads (default: ${DEFAULT-VALUE}).")
    int heads = 8;

    @Range(min = 1, max = 1024)
    @Option(names = "--kv-heads", paramLabel = "H", description = "New model: key/value heads, dividing --heads "
            + "(default: --heads).")
    Integer kvHeads;

    @Range(min = 1, max = 1 << 18)
    @Option(names = "--ffn", paramLabel = "F", description = "New model: SwiGLU width (default: ${DEFAULT-VALUE}).")
    int ffn = 768;

    @Range(min = 1, max = 1 << 22)
    @Option(names = "--vocab", paramLabel = "V", description = "New model: embedding rows, at least the tokenizer's "
            + "size (default: the tokenizer's size).")
    Integer vocab;

    @Range(min = 1, max = 1e10)
    @Option(names = "--rope-theta", paramLabel = "T", description = "New model: RoPE base (default: ${DEFAULT-VALUE}).")
    double ropeTheta = 10000;

    @Option(names = "--tied", description = "New model: the output head shares the token embedding.")
    boolean tied;

    /**
     * The configuration of a new model of this shape for {@code context}-token windows.
     *
     * @param tokenizerSize the tokenizer's vocabulary: the default of {@code --vocab} and its minimum
     * @param bos           the tokenizer's BOS id, or -1
     * @param eos           the tokenizer's EOS id, or -1
     */
    ModelConfig config(int context, int tokenizerSize, int bos, int eos) {
        int kv = kvHeads != null ? kvHeads : heads;
        if (dim % heads != 0 || heads % kv != 0 || (dim / heads) % 2 != 0) {
            throw new IllegalArgumentException("--dim " + dim + " must be a multiple of --heads " + heads
                    + " with an even head size, and --heads a multiple of --kv-heads " + kv);
        }
        int v = vocab != null ? vocab : tokenizerSize;
        if (v < tokenizerSize) {
            throw new IllegalArgumentException("--vocab " + v + " is smaller than the tokenizer's " + tokenizerSize
                    + " tokens");
        }
        return new ModelConfig("safetensors", "llama", dim, ffn, layers, heads, kv, dim / heads, v,
                Math.max(context, 2048), 1e-5f, (float) ropeTheta, RopeStyle.ROTATE_HALF, tied, false, bos, eos,
                BlockLayout.LLAMA, dim / heads, RopeScaling.NONE, 0);
    }
}

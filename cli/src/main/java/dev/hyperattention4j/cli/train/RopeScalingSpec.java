package dev.hyperattention4j.cli.train;

import dev.hyperattention4j.llm.model.ModelConfig;
import dev.hyperattention4j.llm.model.RopeScaling;

/**
 * The value of {@code --rope-scaling}: one of the runtime's RoPE scalings in a short form, written into the trained
 * model's config.json as Hugging Face's {@code rope_scaling}.
 *
 * <pre>
 *   none                              no scaling (removes the source model's)
 *   linear:F                          positions divided by F
 *   dynamic:F:ORIG                    dynamic NTK past ORIG tokens
 *   yarn:F:ORIG[:BETA_FAST:BETA_SLOW] YaRN (betas 32 and 1 by default, attention factor 0.1·ln F + 1)
 *   llama3:F:ORIG[:LOW:HIGH]          llama3 (frequency factors 1 and 4 by default)
 * </pre>
 *
 * F is the extension factor (at least 1), ORIG the context the model was trained on.
 */
final class RopeScalingSpec {
    static final String SYNTAX = "none, linear:F, dynamic:F:ORIG, yarn:F:ORIG[:BETA_FAST:BETA_SLOW] or "
            + "llama3:F:ORIG[:LOW:HIGH]";

    private RopeScalingSpec() {
    }

    /** Parses a value of {@code --rope-scaling}; a malformed one is an IllegalArgumentException naming the option. */
    static RopeScaling parse(String spec) {
        String[] f = spec.trim().split(":", -1);
        String type = f[0].toLowerCase(java.util.Locale.ROOT);
        try {
            return switch (type) {
                case "none" -> {
                    arity(f, 1, 1);
                    yield RopeScaling.NONE;
                }
                case "linear" -> {
                    arity(f, 2, 2);
                    yield RopeScaling.linear(factor(f[1]));
                }
                case "dynamic" -> {
                    arity(f, 3, 3);
                    yield RopeScaling.dynamic(factor(f[1]), original(f[2]));
                }
                case "yarn" -> {
                    arity(f, 3, 5);
                    if (f.length == 4) {
                        throw new IllegalArgumentException("give both betas or neither");
                    }
                    yield RopeScaling.yarn(factor(f[1]), original(f[2]), f.length == 5 ? number(f[3]) : 32,
                            f.length == 5 ? number(f[4]) : 1);
                }
                case "llama3" -> {
                    arity(f, 3, 5);
                    if (f.length == 4) {
                        throw new IllegalArgumentException("give both frequency factors or neither");
                    }
                    yield RopeScaling.llama3(factor(f[1]), original(f[2]), f.length == 5 ? number(f[3]) : 1,
                            f.length == 5 ? number(f[4]) : 4);
                }
                default -> throw new IllegalArgumentException("unknown type '" + f[0] + "'");
            };
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--rope-scaling " + spec + ": " + e.getMessage() + " (expected "
                    + SYNTAX + ")");
        }
    }

    /**
     * {@code c} with RoPE scaling {@code s}, and a context length of at least {@code context} (Hugging Face's
     * {@code max_position_embeddings} of the extended model).
     */
    static ModelConfig apply(ModelConfig c, RopeScaling s, int context) {
        return new ModelConfig(c.format(), c.architecture(), c.dim(), c.hiddenDim(), c.layers(), c.heads(),
                c.kvHeads(), c.headDim(), c.vocabSize(), Math.max(c.contextLength(), context), c.normEps(),
                c.ropeTheta(), c.ropeStyle(), c.tiedEmbeddings(), c.attentionBias(), c.bosId(), c.eosId(), c.block(),
                c.rotaryDims(), s, c.slidingWindow());
    }

    private static void arity(String[] f, int min, int max) {
        if (f.length < min || f.length > max) {
            throw new IllegalArgumentException(f[0] + " takes " + (min == max ? min - 1 : (min - 1) + " to "
                    + (max - 1)) + " value" + (max == 2 ? "" : "s") + " after it, got " + (f.length - 1));
        }
    }

    private static double factor(String s) {
        double v = number(s);
        if (!(v >= 1) || Double.isInfinite(v)) {
            throw new IllegalArgumentException("the factor must be a finite number >= 1, got " + s);
        }
        return v;
    }

    private static int original(String s) {
        try {
            int v = Integer.parseInt(s.trim());
            if (v < 1) {
                throw new NumberFormatException();
            }
            return v;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("the original context must be a positive integer, got '" + s + "'");
        }
    }

    private static double number(String s) {
        try {
            double v = Double.parseDouble(s.trim());
            if (!Double.isFinite(v)) {
                throw new NumberFormatException();
            }
            return v;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + s + "' is not a finite number");
        }
    }
}

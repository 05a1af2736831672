package dev.hyperattention4j.llm.quantize;

import dev.hyperattention4j.llm.model.DType;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The quantisation presets of the GGUF ecosystem ({@code ha4j quantize --type}) and the one rule that picks each
 * tensor's type. A preset has a base type; 1-D tensors (norms, biases) stay F32 and matrices get the base type,
 * except where the ecosystem's quantiser spends more bits because the tensor matters more (the rules below are
 * the ones its files show, checked against the llama-kq goldens' {@code tensors.json}):
 * <ul>
 *   <li>{@code output.weight} (or {@code token_embd.weight} when it doubles as the output head): Q6_K for every
 *       quantised preset but Q8_0, which keeps Q8_0.</li>
 *   <li>{@code attn_v} (and a fused {@code attn_qkv}): Q2_K → Q3_K (Q4_K with ≥ 4 query heads per KV head); Q3_K_M → Q5_K in the first two
 *       layers, Q4_K after; Q3_K_L → Q5_K; Q4_K_S → Q5_K in the first four layers; Q4_K_M and Q5_K_M → Q6_K in the
 *       layers {@link #moreBits} selects.</li>
 *   <li>{@code ffn_down}: Q2_K → Q3_K; Q3_K_M → Q5_K in the first 1/16 of the layers, Q4_K after; Q3_K_L → Q5_K;
 *       Q4_K_S → Q5_K in the first 1/8; Q4_K_M and Q5_K_M → Q6_K in the {@link #moreBits} layers.</li>
 *   <li>{@code attn_output}: Q2_K → Q3_K; Q3_K_M → Q4_K; Q3_K_L → Q5_K.</li>
 *   <li>A row length that is not a multiple of 256 cannot hold K-quant super-blocks: Q4_K → Q5_0, Q5_K → Q5_1,
 *       Q6_K → Q8_0, Q2_K / Q3_K → Q4_0 (the ecosystem uses IQ4_NL there, a type we do not write); a row length
 *       that is not a multiple of 32 → F16.</li>
 * </ul>
 * The quantiser's rules for mixture-of-experts models, 70B-class models and importance matrices are not
 * reproduced (we run neither).
 */
public enum QuantPreset {
    F32(DType.F32, 0),
    F16(DType.F16, 1),
    BF16(DType.BF16, 32),
    Q4_0(DType.Q4_0, 2),
    Q4_1(DType.Q4_1, 3),
    Q5_0(DType.Q5_0, 8),
    Q5_1(DType.Q5_1, 9),
    Q8_0(DType.Q8_0, 7),
    Q2_K(DType.Q2_K, 10),
    Q3_K_S(DType.Q3_K, 11),
    Q3_K_M(DType.Q3_K, 12),
    Q3_K_L(DType.Q3_K, 13),
    Q4_K_S(DType.Q4_K, 14),
    Q4_K_M(DType.Q4_K, 15),
    Q5_K_S(DType.Q5_K, 16),
    Q5_K_M(DType.Q5_K, 17),
    Q6_K(DType.Q6_K, 18);

    private static final Pattern LAYER = Pattern.compile("blk\\.(\\d+)\\.(.+)\\.weight");

    private final DType base;
    private final int fileType;

    QuantPreset(DType base, int fileType) {
        this.base = base;
        this.fileType = fileType;
    }

    /** The type most matrices get. */
    public DType base() { return base; }

    /** The {@code general.file_type} number the ecosystem writes for this preset (not a ggml type id). */
    public int fileType() { return fileType; }

    /** The preset named {@code name} (case-insensitive, e.g. "q4_k_m"). */
    public static QuantPreset parse(String name) {
        try {
            return valueOf(name.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown quantisation type '" + name + "' (known: "
                    + java.util.Arrays.toString(values()) + ")");
        }
    }

    /**
     * The type of one tensor, by its GGUF name.
     *
     * @param name        GGUF tensor name ({@code blk.3.attn_v.weight}, {@code output.weight}, ...)
     * @param shape       dimensions, outermost first
     * @param layers      number of transformer blocks
     * @param groupSize   query heads per KV head
     * @param outputTied  the model has no {@code output.weight}: the token embedding is the output head too
     */
    public DType typeOf(String name, long[] shape, int layers, int groupSize, boolean outputTied) {
        if (shape.length < 2 || !name.endsWith(".weight")) {
            return DType.F32; // norms and biases: small, and the ecosystem keeps them exact
        }
        if (!base.quantized()) {
            return base;
        }
        DType type = base;
        boolean outputHead = name.equals("output.weight") || outputTied && name.equals("token_embd.weight");
        Matcher m = LAYER.matcher(name);
        int layer = m.matches() ? Integer.parseInt(m.group(1)) : -1;
        String role = m.matches() ? m.group(2) : "";
        if (outputHead) {
            type = this == Q8_0 ? DType.Q8_0 : DType.Q6_K;
        } else if (role.equals("attn_v") || role.equals("attn_qkv")) { // a fused QKV carries V: same rule
            type = switch (this) {
                case Q2_K -> groupSize >= 4 ? DType.Q4_K : DType.Q3_K;
                case Q3_K_M -> layer < 2 ? DType.Q5_K : DType.Q4_K;
                case Q3_K_L -> DType.Q5_K;
                case Q4_K_S -> layer < 4 ? DType.Q5_K : base;
                case Q4_K_M, Q5_K_M -> moreBits(layer, layers) ? DType.Q6_K : base;
                default -> base;
            };
        } else if (role.equals("ffn_down")) {
            type = switch (this) {
                case Q2_K -> DType.Q3_K;
                case Q3_K_M -> layer < layers / 16 ? DType.Q5_K : DType.Q4_K;
                case Q3_K_L -> DType.Q5_K;
                case Q4_K_S -> layer < layers / 8 ? DType.Q5_K : base;
                case Q4_K_M, Q5_K_M -> moreBits(layer, layers) ? DType.Q6_K : base;
                default -> base;
            };
        } else if (role.equals("attn_output")) {
            type = switch (this) {
                case Q2_K -> DType.Q3_K;
                case Q3_K_M -> DType.Q4_K;
                case Q3_K_L -> DType.Q5_K;
                default -> base;
            };
        }
        return fitRow(type, shape[shape.length - 1]);
    }

    /**
     * The layers that get more bits in the _M presets: the first and last eighth, and every third layer between
     * them (counting from the end of the first eighth).
     */
    static boolean moreBits(int layer, int layers) {
        return layer < layers / 8 || layer >= 7 * layers / 8 || (layer - layers / 8) % 3 == 2;
    }

    /** A type whose blocks fit a row of {@code rowLength}: the fallbacks described in the class comment. */
    static DType fitRow(DType type, long rowLength) {
        if (rowLength % type.blockSize() == 0) {
            return type;
        }
        DType fallback = switch (type) {
            case Q4_K -> DType.Q5_0;
            case Q5_K -> DType.Q5_1;
            case Q6_K -> DType.Q8_0;
            case Q2_K, Q3_K -> DType.Q4_0;
            default -> type;
        };
        return rowLength % fallback.blockSize() == 0 ? fallback : DType.F16;
    }
}

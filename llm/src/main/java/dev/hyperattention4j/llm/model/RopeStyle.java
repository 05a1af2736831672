package dev.hyperattention4j.llm.model;

/**
 * How rotary position embedding pairs the dimensions of a head.
 * <ul>
 *   <li>{@link #INTERLEAVED}: pairs (2i, 2i+1), as llama2.c and GGUF {@code llama} files (whose converter permutes
 *       Hugging Face Q/K weights into this order).</li>
 *   <li>{@link #ROTATE_HALF}: pairs (i, i + headDim/2), as Hugging Face {@code transformers}.</li>
 * </ul>
 */
public enum RopeStyle {
    INTERLEAVED,
    ROTATE_HALF
}

/**
 * Model files, tokenizers and the Llama forward pass.
 * <ul>
 *   <li>{@code model}: {@link dev.hyperattention4j.llm.model.ModelLoader#open} detects GGUF, Hugging Face
 *       safetensors (+ config.json, tokenizer.json; sharded via model.safetensors.index.json) and llama2.c
 *       checkpoints by content and returns a {@link dev.hyperattention4j.llm.model.Model} whose weights are views
 *       of memory-mapped files (closed with the model); {@code ModelFormatException} and its per-format subclasses
 *       report broken files.</li>
 *   <li>{@code format.gguf}, {@code format.safetensors}, {@code format.llama2c}: the three file formats.</li>
 *   <li>{@code tokenizer}: one O(n log n) BPE engine ({@code BpeTokenizer}) behind HF tokenizer.json (SentencePiece
 *       style or byte-level), llama2.c tokenizer.bin and GGUF {@code llama}/{@code gpt2} vocabularies.</li>
 *   <li>{@code runtime}: the forward pass, KV cache, sampling and perplexity.</li>
 * </ul>
 * Test sources provide {@code testing.GgufWriter}, {@code testing.GgufConverter}, {@code testing.SafetensorsWriter},
 * {@code testing.TinyModels} (synthetic models in every format) and {@code testing.Quant} (encoders and a reference
 * dequantiser for F32/F16/BF16/Q8_0/Q4_0).
 */
package dev.hyperattention4j.llm;

/**
 * Block layouts of the GGUF quantised tensor types, one class per type ({@link BlockQ4_0} ... {@link BlockQ6K}):
 * the byte offsets of each field and a scalar reference decoder of one block, written for clarity. Fast kernels and
 * tests use these decoders as their oracle. All multi-byte fields are little-endian; f16 is IEEE half precision.
 */
package dev.hyperattention4j.llm.quant;

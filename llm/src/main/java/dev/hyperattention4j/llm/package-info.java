/** Model files, tokenizers and the Llama forward pass (see the LLM issues). */
package dev.hyperattention4j.llm;

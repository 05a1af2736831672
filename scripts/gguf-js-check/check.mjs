// Reads GGUF files with an independent, maintained parser (@huggingface/gguf) and prints what it sees: version,
// tensor count, tensors per ggml type id and the scalar metadata. Exit code 1 if a file does not parse or lacks the
// keys the GGUF ecosystem expects. Usage: npm install && node check.mjs FILE.gguf...
import { gguf } from "@huggingface/gguf";

let failed = false;
for (const file of process.argv.slice(2)) {
  try {
    const { metadata, tensorInfos } = await gguf(file, { allowLocalFile: true });
    const arch = metadata["general.architecture"];
    const required = ["general.architecture", "general.file_type", "general.quantization_version",
      `${arch}.block_count`, `${arch}.embedding_length`, `${arch}.attention.head_count`,
      "tokenizer.ggml.model", "tokenizer.ggml.tokens"];
    const missing = required.filter(k => !(k in metadata));
    const types = {};
    for (const t of tensorInfos) types[t.dtype] = (types[t.dtype] || 0) + 1;
    console.log(`${file}: GGUF v${metadata.version}, ${tensorInfos.length} tensors, by ggml type id ${JSON.stringify(types)}`);
    for (const [k, v] of Object.entries(metadata)) {
      if (!Array.isArray(v)) console.log(`  ${k} = ${String(v)}`);
    }
    if (missing.length > 0) {
      console.log(`  MISSING: ${missing.join(", ")}`);
      failed = true;
    }
  } catch (e) {
    console.log(`${file}: does not parse: ${e.message}`);
    failed = true;
  }
}
process.exit(failed ? 1 : 0);

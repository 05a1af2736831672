package dev.hyperattention4j.llm.fuzz;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hyperattention4j.llm.hardening.TinyModelFiles;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes the committed seed corpus of the fuzz tests (valid tiny files of each format and a few variants).
 * Run from the llm module with the test class path: {@code java -cp ... dev.hyperattention4j.llm.fuzz.FuzzSeeds
 * src/test/resources}. Crash inputs Jazzer finds are added to the same directories by hand (named crash-*).
 */
public final class FuzzSeeds {
    private FuzzSeeds() {}

    public static void main(String[] args) throws IOException {
        Path root = Path.of(args[0]).resolve("dev/hyperattention4j/llm/fuzz");
        byte[] st = TinyModelFiles.safetensors();
        byte[] l2c = TinyModelFiles.llama2c();
        seed(root, "SafetensorsFuzzTest", "container", "tiny-model", st);
        ObjectNode variants = TinyModelFiles.JSON.createObjectNode();
        variants.putObject("__metadata__").put("k", "v");
        variants.putObject("h").put("dtype", "F16").putArray("shape").add(2).add(3);
        ((ObjectNode) variants.get("h")).putArray("data_offsets").add(0).add(12);
        variants.putObject("b").put("dtype", "BF16").putArray("shape").add(2);
        ((ObjectNode) variants.get("b")).putArray("data_offsets").add(12).add(16);
        variants.putObject("s").put("dtype", "F32").putArray("shape");
        ((ObjectNode) variants.get("s")).putArray("data_offsets").add(16).add(20);
        variants.putObject("z").put("dtype", "F32").putArray("shape").add(0).add(5);
        ((ObjectNode) variants.get("z")).putArray("data_offsets").add(20).add(20);
        seed(root, "SafetensorsFuzzTest", "container", "dtypes-scalar-empty", TinyModelFiles.safetensors(
                variants.toString().getBytes(StandardCharsets.UTF_8), 20));
        seed(root, "SafetensorsFuzzTest", "configJson", "tiny", TinyModelFiles.configJson().toString());
        ObjectNode qwen = TinyModelFiles.configJson().put("model_type", "qwen2").put("head_dim", 4);
        qwen.putArray("eos_token_id").add(2).add(3);
        seed(root, "SafetensorsFuzzTest", "configJson", "qwen2", qwen.toString());
        seed(root, "SafetensorsFuzzTest", "configJson", "minimal",
                "{\"hidden_size\":8,\"num_attention_heads\":2,\"intermediate_size\":16,\"num_hidden_layers\":1,"
                        + "\"vocab_size\":265}");
        seed(root, "Llama2cFuzzTest", "checkpoint", "tiny-shared-classifier", l2c);
        int[] h = TinyModelFiles.llama2cHeader();
        h[5] = -h[5];
        seed(root, "Llama2cFuzzTest", "checkpoint", "tiny-own-classifier",
                TinyModelFiles.llama2c(h, TinyModelFiles.llama2cFloats(h)));
        seed(root, "Llama2cFuzzTest", "tokenizer", "tiny", TinyModelFiles.tokenizerBin());
        seed(root, "TokenizerJsonFuzzTest", "tokenizerJson", "sentencepiece-like",
                TinyModelFiles.tokenizerJson().toString());
        seed(root, "TokenizerJsonFuzzTest", "tokenizerJson", "byte-level",
                TokenizerFuzzTest.byteLevelJson().toString());
        ObjectNode meta = TinyModelFiles.tokenizerJson();
        meta.remove("normalizer");
        meta.putObject("pre_tokenizer").put("type", "Metaspace").put("prepend_scheme", "first").put("split", true);
        seed(root, "TokenizerJsonFuzzTest", "tokenizerJson", "metaspace", meta.toString());
        ObjectNode split = TokenizerFuzzTest.byteLevelJson();
        ObjectNode seq = split.putObject("pre_tokenizer").put("type", "Sequence");
        ObjectNode sp = seq.putArray("pretokenizers").addObject().put("type", "Split").put("behavior", "Isolated");
        sp.putObject("pattern").put("Regex", "\\p{N}{1,3}");
        seq.withArray("pretokenizers").addObject().put("type", "Digits").put("individual_digits", true);
        seq.withArray("pretokenizers").addObject().put("type", "ByteLevel").put("use_regex", true);
        split.putObject("normalizer").put("type", "NFC");
        seed(root, "TokenizerJsonFuzzTest", "tokenizerJson", "split-digits-nfc", split.toString());
        seed(root, "ModelLoaderFuzzTest", "open", "safetensors", st);
        seed(root, "ModelLoaderFuzzTest", "open", "llama2c", l2c);
        seed(root, "ModelLoaderFuzzTest", "open", "shard-index",
                "{\"weight_map\": {\"model.norm.weight\": \"model.bin\"}}");
        for (var type : new dev.hyperattention4j.llm.model.DType[] {dev.hyperattention4j.llm.model.DType.F32,
                dev.hyperattention4j.llm.model.DType.Q8_0, dev.hyperattention4j.llm.model.DType.Q4_0}) {
            byte[] gguf = dev.hyperattention4j.llm.testing.TinyModels.gguf(type, 3).toBytes();
            seed(root, "GgufFuzzTest", "container", "tiny-" + type, gguf);
            seed(root, "GgufFuzzTest", "model", "tiny-" + type, gguf);
        }
        byte[] v2 = dev.hyperattention4j.llm.testing.TinyModels.gguf(dev.hyperattention4j.llm.model.DType.F16, 2)
                .toBytes();
        seed(root, "GgufFuzzTest", "container", "tiny-v2-F16", v2);
        seed(root, "ModelLoaderFuzzTest", "open", "gguf-F16", v2);
        String[] texts = {"Once upon a time, there was a little girl named Lily.", "  leading spaces\n\nand\ttabs ",
                "\u00e9t\u00e9 \u4e2d\u6587 \ud83d\ude00\ud83c\udf89 ab ab a b", "", " ", "ab", "<s> </s> <unk>",
                "12345 67 8", "a\u0301 \u00e1 \u212b"};
        for (int i = 0; i < texts.length; i++) {
            seed(root, "TokenizerFuzzTest", "encodeDecode", "text-" + i, texts[i]);
        }
        byte[] lone = "\u0001x\ud800y\udc00".getBytes(StandardCharsets.UTF_16LE);
        lone[0] = 1;
        seed(root, "TokenizerFuzzTest", "encodeDecode", "lone-surrogates", lone);
        ByteBuffer ids = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
        for (int id : new int[] {1, 262, 3 + 0xE4, 3 + 0xB8, 3 + 0xAD, 3 + 0xFF, 259, 2}) {
            ids.putShort((short) id);
        }
        seed(root, "TokenizerFuzzTest", "decodeIds", "bytes-and-pieces", ids.array());
    }

    private static void seed(Path root, String cls, String method, String name, String text) throws IOException {
        seed(root, cls, method, name, text.getBytes(StandardCharsets.UTF_8));
    }

    private static void seed(Path root, String cls, String method, String name, byte[] bytes) throws IOException {
        Path dir = root.resolve(cls + "Inputs").resolve(method);
        Files.createDirectories(dir);
        Files.write(dir.resolve(name), bytes);
    }
}

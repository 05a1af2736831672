package dev.hyperattention4j.llm.tokenizer;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hyperattention4j.llm.format.io.Json;

/**
 * The {@code tokenizer.json} of a byte-level vocabulary without merges: one token per byte (ids 0-255, in GPT-2's
 * printable mapping) and the two special tokens {@code <|bos|>} = 256 and {@code <|eos|>} = 257. Every UTF-8 text
 * round-trips. It is what {@code ha4j train} gives a model trained from scratch when no tokenizer is supplied; a
 * byte-level BPE trainer would add merges to the same layout.
 */
public final class ByteTokenizerJson {
    public static final int BOS = 256, EOS = 257, SIZE = 258;

    private ByteTokenizerJson() {
    }

    public static ObjectNode create() {
        ObjectNode root = Json.MAPPER.createObjectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        String[] specials = {"<|bos|>", "<|eos|>"};
        for (int i = 0; i < specials.length; i++) {
            added.addObject().put("id", BOS + i).put("content", specials[i]).put("single_word", false)
                    .put("lstrip", false).put("rstrip", false).put("normalized", false).put("special", true);
        }
        root.putNull("normalizer");
        root.putObject("pre_tokenizer").put("type", "ByteLevel").put("add_prefix_space", false)
                .put("trim_offsets", true).put("use_regex", true);
        root.putNull("post_processor");
        root.putObject("decoder").put("type", "ByteLevel").put("add_prefix_space", true).put("trim_offsets", true)
                .put("use_regex", true);
        ObjectNode model = root.putObject("model");
        model.put("type", "BPE").putNull("dropout").putNull("unk_token").putNull("continuing_subword_prefix")
                .putNull("end_of_word_suffix").put("fuse_unk", false).put("byte_fallback", false)
                .put("ignore_merges", false);
        ObjectNode vocab = model.putObject("vocab");
        for (int b = 0; b < 256; b++) {
            vocab.put(String.valueOf(ByteLevel.toChar(b)), b);
        }
        model.putArray("merges");
        return root;
    }
}

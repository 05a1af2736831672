package dev.hyperattention4j.llm.tokenizer;

import dev.hyperattention4j.llm.format.io.BinaryReader;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reads a llama2.c {@code tokenizer.bin}: int32 max_token_length, then per token a float32 score, an int32 byte
 * length and the UTF-8 bytes. The file does not store the vocabulary size; it comes from the checkpoint header.
 * Spaces are stored as ' ' (not "▁"), ids 3..258 are the {@code <0xXX>} byte-fallback tokens, 1 and 2 are BOS/EOS.
 * Encoding follows llama2.c's {@code encode}: a dummy " " prefix, code points (or their bytes + 3), then
 * repeatedly the highest-scoring adjacent merge, leftmost on ties.
 */
public final class Llama2cTokenizerReader {
    /** Far above any real vocabulary; bounds allocation before the file is trusted. */
    public static final int MAX_VOCAB = 1 << 22;
    private static final long MAX_FILE = 1L << 30;

    private Llama2cTokenizerReader() {}

    public static BpeTokenizer read(Path file, int vocabSize) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new TokenizerFormatException(file, "tokenizer file", "does not exist or is not a regular file");
        }
        long size = Files.size(file);
        if (size > MAX_FILE) {
            throw new TokenizerFormatException(file, "file size", size + " bytes is implausible for a tokenizer");
        }
        if (vocabSize <= 0 || vocabSize > MAX_VOCAB) {
            throw new TokenizerFormatException(file, "vocab_size", "invalid vocabulary size " + vocabSize);
        }
        byte[] bytes = Files.readAllBytes(file);
        BinaryReader in = new BinaryReader(MemorySegment.ofArray(bytes), 0,
                (field, problem, offset) -> new TokenizerFormatException(file, field, problem, offset));
        int maxTokenLength = in.readInt("max_token_length");
        if (maxTokenLength <= 0) {
            throw new TokenizerFormatException(file, "max_token_length", "invalid value " + maxTokenLength, 0);
        }
        if (maxTokenLength > TokenizerLimits.MAX_PIECE_BYTES) {
            throw new TokenizerFormatException(file, "max_token_length", maxTokenLength + " bytes is longer than the "
                    + "limit of " + TokenizerLimits.MAX_PIECE_BYTES + " for one piece", 0);
        }
        // each token needs at least 8 bytes, so a vocabulary larger than the file allows is caught before allocating
        if ((long) vocabSize * 8 > in.remaining()) {
            throw new TokenizerFormatException(file, "vocabulary", "the checkpoint's vocab_size " + vocabSize
                    + " does not fit in the " + size + "-byte tokenizer file (wrong tokenizer or truncated)", 4);
        }
        String[] pieces = new String[vocabSize];
        float[] scores = new float[vocabSize];
        TokenType[] types = new TokenType[vocabSize];
        for (int i = 0; i < vocabSize; i++) {
            String field = "token[" + i + "]";
            scores[i] = in.readFloat(field + ".score");
            long at = in.position();
            int length = in.readInt(field + ".length");
            if (length < 0 || length > maxTokenLength) {
                throw new TokenizerFormatException(file, field + ".length", "invalid length " + length
                        + " (max_token_length is " + maxTokenLength + ")", at);
            }
            pieces[i] = in.readUtf8(length, field + ".bytes");
            types[i] = classify(i, pieces[i]);
        }
        if (in.remaining() != 0) {
            throw new TokenizerFormatException(file, "vocabulary", in.remaining() + " bytes follow the "
                    + vocabSize + " tokens the checkpoint declares (tokenizer does not match the model)",
                    in.position());
        }
        return new BpeTokenizer.Builder().kind("llama2c").source(file, "vocabulary").pieces(pieces).types(types)
                .scores(scores).spaceSymbol(' ').addPrefix(true).byteFallback(true)
                .unkId(0).bosId(vocabSize > 1 ? 1 : -1).eosId(vocabSize > 2 ? 2 : -1).build();
    }

    private static TokenType classify(int id, String piece) {
        if (piece.length() == 6 && piece.startsWith("<0x") && piece.endsWith(">")) {
            return TokenType.BYTE;
        }
        if (id == 0) {
            return TokenType.UNKNOWN;
        }
        if (id <= 2) { // BOS/EOS; llama2.c's export stores them as "\n<s>\n" and "\n</s>\n"
            return TokenType.CONTROL;
        }
        return TokenType.NORMAL;
    }
}

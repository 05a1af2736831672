package dev.hyperattention4j.llm.tokenizer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a SentencePiece {@code tokenizer.model} (a protobuf {@code ModelProto}): the pieces with their scores and
 * types, the trainer's model type and byte fallback, and the normaliser's dummy prefix. Only the fields the
 * tokenizer needs are decoded; protobuf's wire format (varints, length-delimited fields, fixed 32/64-bit values) is
 * walked by hand, bounded by the file. A Unigram model is refused: this runtime encodes SentencePiece vocabularies
 * by score-ordered BPE merges, which is a different algorithm.
 *
 * <p>Used for ChatGLM checkpoints, which ship this file and Python tokenizer code instead of a tokenizer.json;
 * {@link #chatglm} adds GLM's special tokens after the pieces, as that code does.
 */
public final class SentencePieceModel {
    /** The special tokens ChatGLM's tokenizer code appends after the SentencePiece pieces, in id order. */
    public static final List<String> CHATGLM_SPECIALS = List.of("[MASK]", "[gMASK]", "[sMASK]", "sop", "eop",
            "<|system|>", "<|user|>", "<|assistant|>", "<|observation|>");

    private final List<String> pieces = new ArrayList<>();
    private final List<Float> scores = new ArrayList<>();
    private final List<TokenType> types = new ArrayList<>();
    private int modelType = 1;          // trainer_spec.model_type: 1 UNIGRAM, 2 BPE, 3 WORD, 4 CHAR
    private boolean byteFallback;       // trainer_spec.byte_fallback
    private boolean addDummyPrefix = true; // normalizer_spec.add_dummy_prefix

    private SentencePieceModel() {}

    public static SentencePieceModel read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new TokenizerFormatException(file, "tokenizer.model", "is missing");
        }
        if (Files.size(file) > 64L << 20) {
            throw new TokenizerFormatException(file, "tokenizer.model", "is implausibly large");
        }
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        SentencePieceModel m = new SentencePieceModel();
        try {
            m.parseModel(b);
        } catch (RuntimeException e) { // a truncated or corrupt message: buffer underflow, bad lengths
            throw new TokenizerFormatException(file, "tokenizer.model", "is not a valid SentencePiece model ("
                    + e.getClass().getSimpleName() + " at byte " + b.position() + ")");
        }
        if (m.pieces.isEmpty()) {
            throw new TokenizerFormatException(file, "tokenizer.model", "holds no pieces");
        }
        if (m.modelType != 2) {
            throw new TokenizerFormatException(file, "trainer_spec.model_type", "is " + m.modelType
                    + " (1 unigram, 3 word, 4 char); only BPE models (2) are supported");
        }
        return m;
    }

    private void parseModel(ByteBuffer b) {
        while (b.hasRemaining()) {
            long tag = varint(b);
            int field = (int) (tag >>> 3), wire = (int) (tag & 7);
            if (wire == 2 && (field == 1 || field == 2 || field == 3)) {
                ByteBuffer sub = slice(b);
                switch (field) {
                    case 1 -> parsePiece(sub);
                    case 2 -> parseTrainer(sub);
                    default -> parseNormalizer(sub);
                }
            } else {
                skip(b, wire);
            }
        }
    }

    private void parsePiece(ByteBuffer b) {
        String piece = null;
        float score = 0;
        int type = 1;
        while (b.hasRemaining()) {
            long tag = varint(b);
            int field = (int) (tag >>> 3), wire = (int) (tag & 7);
            if (field == 1 && wire == 2) {
                ByteBuffer s = slice(b);
                byte[] bytes = new byte[s.remaining()];
                s.get(bytes);
                piece = new String(bytes, StandardCharsets.UTF_8);
            } else if (field == 2 && wire == 5) {
                score = b.getFloat();
            } else if (field == 3 && wire == 0) {
                type = (int) varint(b);
            } else {
                skip(b, wire);
            }
        }
        TokenType t = TokenType.ofCode(type);
        if (piece == null || t == null) {
            throw new IllegalArgumentException("piece " + pieces.size() + " has no text or an unknown type " + type);
        }
        pieces.add(piece);
        scores.add(score);
        types.add(t);
    }

    private void parseTrainer(ByteBuffer b) {
        while (b.hasRemaining()) {
            long tag = varint(b);
            int field = (int) (tag >>> 3), wire = (int) (tag & 7);
            if (field == 3 && wire == 0) {
                modelType = (int) varint(b);
            } else if (field == 35 && wire == 0) {
                byteFallback = varint(b) != 0;
            } else {
                skip(b, wire);
            }
        }
    }

    private void parseNormalizer(ByteBuffer b) {
        while (b.hasRemaining()) {
            long tag = varint(b);
            int field = (int) (tag >>> 3), wire = (int) (tag & 7);
            if (field == 3 && wire == 0) {
                addDummyPrefix = varint(b) != 0;
            } else {
                skip(b, wire);
            }
        }
    }

    private static long varint(ByteBuffer b) {
        long v = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            byte x = b.get();
            v |= (long) (x & 0x7f) << shift;
            if (x >= 0) {
                return v;
            }
        }
        throw new IllegalArgumentException("varint longer than 10 bytes");
    }

    private static ByteBuffer slice(ByteBuffer b) {
        long n = varint(b);
        if (n < 0 || n > b.remaining()) {
            throw new IllegalArgumentException("length " + n + " exceeds the remaining " + b.remaining() + " bytes");
        }
        ByteBuffer s = b.slice(b.position(), (int) n).order(ByteOrder.LITTLE_ENDIAN);
        b.position(b.position() + (int) n);
        return s;
    }

    private static void skip(ByteBuffer b, int wire) {
        switch (wire) {
            case 0 -> varint(b);
            case 1 -> b.position(b.position() + 8);
            case 2 -> slice(b);
            case 5 -> b.position(b.position() + 4);
            default -> throw new IllegalArgumentException("unsupported protobuf wire type " + wire);
        }
    }

    public List<String> pieces() { return List.copyOf(pieces); }

    public boolean byteFallback() { return byteFallback; }

    public boolean addDummyPrefix() { return addDummyPrefix; }

    /**
     * ChatGLM2/3's tokenizer: these pieces (score-ordered merges, "▁" for spaces, byte fallback, the dummy prefix)
     * followed by {@link #CHATGLM_SPECIALS} as control tokens. No BOS: the {@code [gMASK]sop} prefix of a prompt
     * comes from the chat template, as in llama.cpp.
     *
     * @param eosId the model's EOS id (config.json), or -1 for the SentencePiece {@code </s>}
     */
    public BpeTokenizer chatglm(Path file, int eosId) throws TokenizerFormatException {
        int n = pieces.size() + CHATGLM_SPECIALS.size();
        String[] p = new String[n];
        TokenType[] t = new TokenType[n];
        float[] s = new float[n];
        int unk = -1, eos = eosId;
        for (int i = 0; i < pieces.size(); i++) {
            p[i] = pieces.get(i);
            t[i] = types.get(i);
            s[i] = scores.get(i);
            if (t[i] == TokenType.UNKNOWN && unk < 0) {
                unk = i;
            }
            if (eos < 0 && p[i].equals("</s>")) {
                eos = i;
            }
        }
        for (int i = 0; i < CHATGLM_SPECIALS.size(); i++) {
            p[pieces.size() + i] = CHATGLM_SPECIALS.get(i);
            t[pieces.size() + i] = TokenType.CONTROL;
        }
        return new BpeTokenizer.Builder().source(file, "tokenizer.model").kind("sentencepiece-chatglm").pieces(p)
                .types(t).scores(s).mode(BpeTokenizer.Mode.SENTENCEPIECE).spaceSymbol('\u2581')
                .addPrefix(addDummyPrefix).byteFallback(byteFallback).fuseUnknown(true).splitSpecials(true)
                .unkId(unk).bosId(-1).eosId(eos).build();
    }
}

package dev.hyperattention4j.llm.tokenizer;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The one BPE tokenizer behind every format; the readers ({@code HfTokenizerJson}, {@code Llama2cTokenizerReader},
 * {@code GgufTokenizers}) only translate their files into a {@link Builder}.
 * <ul>
 *   <li>{@link Mode#SENTENCEPIECE}: spaces become a space symbol ("▁", or " " for llama2.c), an optional dummy
 *       prefix is added, each code point is a symbol, and code points missing from the vocabulary fall back to
 *       {@code <0xXX>} byte tokens (or the unknown token).</li>
 *   <li>{@link Mode#BYTE_LEVEL}: the text is split by the pre-tokenizer regexes, each chunk's UTF-8 bytes become
 *       GPT-2's printable byte characters, and merges run inside each chunk.</li>
 * </ul>
 * Merges come either from a ranked merge list (HF, GGUF gpt2) or from token scores (SentencePiece, llama2.c);
 * both run in {@link BpeMerger}'s O(n log n) loop. Special (control and user-defined) tokens written literally in
 * the text are recognised first when {@link Builder#splitSpecials} is set. Immutable and thread-safe.
 */
public final class BpeTokenizer implements Tokenizer {
    public enum Mode { SENTENCEPIECE, BYTE_LEVEL }

    private static final int CHUNK_CACHE_LIMIT = 1 << 16;

    private final String kind;
    private final Mode mode;
    private final String[] pieces;
    private final TokenType[] types;
    private final float[] scores;
    private final List<String[]> mergeList;
    private final byte[][] tokenBytes;
    private final PairTable merges;
    private final Map<String, Integer> pieceToId;
    private final int[] bmpToId;
    private final Map<Integer, Integer> astralToId;
    private final int[] byteIds;
    private final char spaceSymbol;
    private final boolean addPrefix;
    private final boolean prefixEverySegment;
    private final boolean ignoreMerges;
    private final boolean nfc;
    private final boolean fuseUnknown;
    private final List<SplitPattern> preTokenizer;
    private final SpecialTokenSplitter specials;
    private final int unkId;
    private final int bosId;
    private final boolean addsBos;
    private final int eosId;
    private final int[] stopIds;
    private final Map<String, int[]> chunkCache = new ConcurrentHashMap<>();

    private BpeTokenizer(Builder b, Map<String, Integer> pieceToId, PairTable merges, int[] bmpToId,
                         Map<Integer, Integer> astralToId, int[] byteIds, byte[][] tokenBytes,
                         SpecialTokenSplitter specials) {
        this.kind = b.kind;
        this.mode = b.mode;
        this.pieces = b.pieces;
        this.types = b.types;
        this.scores = b.mergeList == null ? b.scores : null;
        this.mergeList = b.mergeList == null ? null : List.copyOf(b.mergeList);
        this.pieceToId = pieceToId;
        this.merges = merges;
        this.bmpToId = bmpToId;
        this.astralToId = astralToId;
        this.byteIds = byteIds;
        this.tokenBytes = tokenBytes;
        this.spaceSymbol = b.spaceSymbol;
        this.addPrefix = b.addPrefix;
        this.prefixEverySegment = b.prefixEverySegment;
        this.ignoreMerges = b.ignoreMerges;
        this.nfc = b.nfc;
        this.fuseUnknown = b.fuseUnknown;
        this.preTokenizer = List.copyOf(b.preTokenizer);
        this.specials = specials;
        this.unkId = b.unkId;
        this.bosId = b.bosId;
        this.addsBos = b.bosId >= 0 && b.addsBos;
        this.eosId = b.eosId;
        this.stopIds = java.util.stream.IntStream.concat(java.util.stream.IntStream.of(b.eosId),
                Arrays.stream(b.extraStopIds)).filter(id -> id >= 0).distinct().toArray();
    }

    // ---------------------------------------------------------------- encode

    @Override
    public int[] encode(String text, boolean addBos) {
        return encode(text, addBos, true);
    }

    @Override
    public int[] encodeContinuation(String text) {
        return encode(text, false, false);
    }

    @Override
    public int[] dummyPrefix() {
        return addPrefix ? encodeContinuation(" ") : new int[0];
    }

    /** {@code prefix}: whether the first text segment may get the dummy prefix. */
    private int[] encode(String text, boolean addBos, boolean prefix) {
        if (nfc && !Normalizer.isNormalized(text, Normalizer.Form.NFC)) {
            text = Normalizer.normalize(text, Normalizer.Form.NFC);
        }
        IntList out = new IntList(text.length() / 3 + 4);
        if (addBos && addsBos) {
            out.add(bosId);
        }
        if (specials.isEmpty()) {
            encodeText(text, prefix, out);
        } else {
            boolean firstText = true;
            for (SpecialTokenSplitter.Piece piece : specials.split(text)) {
                if (piece.isSpecial()) {
                    out.add(piece.specialId());
                } else {
                    encodeText(text.substring(piece.start(), piece.end()), firstText ? prefix : prefixEverySegment,
                            out);
                    firstText = false;
                }
            }
        }
        return out.toArray();
    }

    /** {@code prefix}: whether this segment gets the dummy prefix (when the tokenizer adds one). */
    private void encodeText(String text, boolean prefix, IntList out) {
        if (text.isEmpty()) {
            return;
        }
        if (mode == Mode.BYTE_LEVEL) {
            if (addPrefix && prefix && text.charAt(0) != ' ') {
                text = " " + text;
            }
            for (String chunk : preTokenize(text)) {
                out.addAll(encodeChunk(chunk));
            }
            return;
        }
        String normalized = spaceSymbol == ' ' ? text : text.replace(' ', spaceSymbol);
        if (addPrefix && prefix) {
            normalized = spaceSymbol + normalized;
        }
        if (preTokenizer.isEmpty()) {
            encodeSymbols(normalized, out);
        } else {
            for (String chunk : preTokenize(normalized)) {
                encodeSymbols(chunk, out);
            }
        }
    }

    /** Code points to ids (byte fallback for the rest), then merges. */
    private void encodeSymbols(String normalized, IntList out) {
        IntList ids = new IntList(normalized.length() + 16); // grows only for byte-fallback characters
        boolean lastWasUnk = false;
        for (int i = 0; i < normalized.length(); ) {
            int cp = normalized.codePointAt(i);
            int id = symbolId(cp);
            if (id >= 0) {
                ids.add(id);
                lastWasUnk = false;
            } else {
                byte[] utf8 = new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8);
                boolean allBytes = true;
                for (byte x : utf8) {
                    allBytes &= byteIds[x & 0xFF] >= 0;
                }
                if (allBytes) {
                    for (byte x : utf8) {
                        ids.add(byteIds[x & 0xFF]);
                    }
                    lastWasUnk = false;
                } else if (unkId >= 0 && !(fuseUnknown && lastWasUnk)) { // HF fuse_unk: a run gives one <unk>
                    ids.add(unkId);
                    lastWasUnk = true;
                } // no unknown token either: the character cannot be represented and is dropped
            }
            i += Character.charCount(cp);
        }
        out.addAll(BpeMerger.merge(ids.data, ids.size, merges));
    }

    private int symbolId(int cp) {
        if (cp < 0x10000) {
            return bmpToId[cp];
        }
        Integer id = astralToId.get(cp);
        return id == null ? -1 : id;
    }

    /** Splits with each regex in turn; text between matches is kept as chunks too (HF "Isolated"). */
    private List<String> preTokenize(String text) {
        List<String> chunks = List.of(text);
        for (SplitPattern pattern : preTokenizer) {
            List<String> next = new ArrayList<>();
            for (String chunk : chunks) {
                pattern.split(chunk, next); // the regex comes from the file: linear-time engine, bounded reads
            }
            chunks = next;
        }
        return chunks;
    }

    private int[] encodeChunk(String chunk) {
        int[] cached = chunkCache.get(chunk);
        if (cached != null) {
            return cached;
        }
        byte[] utf8 = chunk.getBytes(StandardCharsets.UTF_8);
        int[] result = null;
        if (ignoreMerges) { // Llama 3: a chunk that is itself a token is taken whole
            Integer whole = pieceToId.get(ByteLevel.encode(chunk));
            if (whole != null) {
                result = new int[] {whole};
            }
        }
        if (result == null) {
            int[] ids = new int[utf8.length];
            for (int i = 0; i < utf8.length; i++) {
                ids[i] = byteIds[utf8[i] & 0xFF];
            }
            result = BpeMerger.merge(ids, ids.length, merges);
        }
        if (chunkCache.size() < CHUNK_CACHE_LIMIT) {
            chunkCache.put(chunk, result);
        }
        return result;
    }

    // ---------------------------------------------------------------- decode

    @Override
    public String decode(int[] ids) {
        ByteBuffer buf = new ByteBuffer();
        for (int id : ids) {
            byte[] bytes = bytesOf(id);
            buf.add(bytes, 0, bytes.length);
        }
        int start = addPrefix && buf.size > 0 && buf.data[0] == ' ' ? 1 : 0;
        return new String(buf.data, start, buf.size - start, StandardCharsets.UTF_8);
    }

    /**
     * Stateless, so it cannot buffer: a byte piece that is not complete UTF-8 on its own comes back empty. Use
     * {@link #streamingDecoder()} for generated text.
     */
    @Override
    public String decodeToken(int previous, int token) {
        byte[] bytes = bytesOf(token);
        int start = addPrefix && (previous < 0 || previous == bosId) && bytes.length > 0 && bytes[0] == ' ' ? 1 : 0;
        return Utf8.isComplete(bytes, start, bytes.length) ? new String(bytes, start, bytes.length - start,
                StandardCharsets.UTF_8) : "";
    }

    @Override
    public StreamingDecoder streamingDecoder() {
        return new StreamingDecoder() {
            private final ByteBuffer pending = new ByteBuffer();
            private boolean atStart = true;

            @Override
            public String next(int token) {
                byte[] bytes = bytesOf(token);
                int start = 0;
                if (atStart && bytes.length > 0) {
                    start = addPrefix && bytes[0] == ' ' ? 1 : 0;
                    atStart = false;
                }
                pending.add(bytes, start, bytes.length);
                int complete = Utf8.completePrefix(pending.data, pending.size);
                String text = new String(pending.data, 0, complete, StandardCharsets.UTF_8);
                pending.dropFirst(complete);
                return text;
            }

            @Override
            public String flush() {
                String text = new String(pending.data, 0, pending.size, StandardCharsets.UTF_8);
                pending.size = 0;
                return text;
            }
        };
    }

    private byte[] bytesOf(int id) {
        if (id < 0 || id >= tokenBytes.length) {
            throw new IllegalArgumentException("token id " + id + " is outside the vocabulary of " + tokenBytes.length);
        }
        return tokenBytes[id];
    }

    // ---------------------------------------------------------------- accessors

    @Override public int vocabSize() { return pieces.length; }
    @Override public int bosId() { return bosId; }
    @Override public boolean addsBos() { return addsBos; }
    @Override public int eosId() { return eosId; }
    @Override public int[] stopIds() { return stopIds.clone(); }
    @Override public String kind() { return kind; }

    /** The token's text as stored in its file (e.g. "▁the", "Ġthe", "<0x0A>"). */
    public String piece(int id) { return pieces[id]; }

    public TokenType type(int id) { return types[id]; }

    public int unknownId() { return unkId; }

    /** Token scores when merges are score-driven, else null. */
    public float[] scores() { return scores == null ? null : scores.clone(); }

    /** Ranked merges ({left, right}) when merges come from a merge list, else null. */
    public List<String[]> merges() { return mergeList; }

    public Mode mode() { return mode; }

    /** Whether a dummy space prefix is added to the text (and stripped again on decode). */
    public boolean addsPrefix() { return addPrefix; }

    /** The character that stands for a space in pieces ("▁", or ' ' for llama2.c). */
    public char spaceSymbol() { return spaceSymbol; }

    /** The pre-tokenizer regexes, applied in order (empty when the text is not split). */
    public List<SplitPattern> preTokenizer() { return preTokenizer; }

    /** Whether a chunk that is itself a token is taken whole before merging (Llama 3's {@code ignore_merges}). */
    public boolean ignoresMerges() { return ignoreMerges; }

    /** Whether the input is NFC-normalised first. */
    public boolean normalizesNfc() { return nfc; }

    /** Whether a run of unrepresentable characters gives one unknown token. */
    public boolean fusesUnknown() { return fuseUnknown; }

    /** Whether every text segment between special tokens gets the dummy prefix (not only the first). */
    public boolean prefixesEverySegment() { return prefixEverySegment; }

    /** Whether control and user-defined tokens written literally in the text are recognised. */
    public boolean splitsSpecials() { return !specials.isEmpty(); }

    /** Number of merge rules (ranked merges, or score-derived splits). */
    public int mergeCount() { return merges.size(); }

    /**
     * Whether a code point survives encoding: it has its own token, byte fallback covers it, or the tokenizer is
     * byte-level. Otherwise it becomes the unknown token and is lost on decode.
     */
    public boolean canEncode(int codePoint) {
        if (mode == Mode.BYTE_LEVEL) {
            return true;
        }
        if (codePoint == spaceSymbol && spaceSymbol != ' ') {
            return false; // a literal "▁" in the text decodes as a space
        }
        if (codePoint == ' ') {
            codePoint = spaceSymbol;
        }
        if (symbolId(codePoint) >= 0) {
            return true;
        }
        for (byte b : new String(Character.toChars(codePoint)).getBytes(StandardCharsets.UTF_8)) {
            if (byteIds[b & 0xFF] < 0) {
                return false;
            }
        }
        return true;
    }

    /** The SentencePiece byte-fallback piece of byte b, e.g. {@code <0x0A>}. */
    public static String bytePiece(int b) {
        String hex = "0123456789ABCDEF";
        return "<0x" + hex.charAt((b >> 4) & 15) + hex.charAt(b & 15) + ">";
    }

    /** Id of a piece, or -1. */
    public int idOf(String piece) { return pieceToId.getOrDefault(piece, -1); }

    // ---------------------------------------------------------------- building

    /** What a tokenizer file says; {@link #build()} validates it and derives the lookup tables. */
    public static final class Builder {
        String kind = "bpe";
        Mode mode = Mode.SENTENCEPIECE;
        String[] pieces;
        TokenType[] types;
        float[] scores;
        List<String[]> mergeList;
        char spaceSymbol = '\u2581';
        boolean addPrefix = true;
        boolean prefixEverySegment;
        boolean byteFallback = true;
        boolean ignoreMerges;
        boolean nfc;
        boolean fuseUnknown;
        boolean splitSpecials;
        List<SplitPattern> preTokenizer = new ArrayList<>();
        int unkId = -1;
        int bosId = -1;
        boolean addsBos = true;
        int eosId = -1;
        int[] extraStopIds = new int[0];
        Path source;
        String sourceField = "vocabulary";

        public Builder kind(String v) { kind = v; return this; }
        public Builder mode(Mode v) { mode = v; return this; }
        public Builder pieces(String[] v) { pieces = v; return this; }
        public Builder types(TokenType[] v) { types = v; return this; }
        /** Score-driven merges (higher first); ignored when a merge list is given. */
        public Builder scores(float[] v) { scores = v; return this; }
        /** Ranked merges, each {left, right}, first = highest priority. */
        public Builder merges(List<String[]> v) { mergeList = v; return this; }
        public Builder spaceSymbol(char v) { spaceSymbol = v; return this; }
        public Builder addPrefix(boolean v) { addPrefix = v; return this; }
        public Builder prefixEverySegment(boolean v) { prefixEverySegment = v; return this; }
        public Builder byteFallback(boolean v) { byteFallback = v; return this; }
        public Builder ignoreMerges(boolean v) { ignoreMerges = v; return this; }
        /** Apply Unicode NFC to the input first (Qwen2's normalizer). */
        public Builder nfc(boolean v) { nfc = v; return this; }
        /** Consecutive unrepresentable characters give one unknown token (HF's fuse_unk). */
        public Builder fuseUnknown(boolean v) { fuseUnknown = v; return this; }
        public Builder splitSpecials(boolean v) { splitSpecials = v; return this; }
        public Builder preTokenizer(List<SplitPattern> v) { preTokenizer = new ArrayList<>(v); return this; }
        public Builder unkId(int v) { unkId = v; return this; }
        public Builder bosId(int v) { bosId = v; return this; }
        /** Whether encode(text, true) adds the BOS id (default true when there is one). */
        public Builder addsBos(boolean v) { addsBos = v; return this; }
        public Builder eosId(int v) { eosId = v; return this; }
        /** Tokens that end a generated sequence besides the EOS id (validated against the vocabulary). */
        public Builder stopIds(int... v) { extraStopIds = v.clone(); return this; }
        public Builder source(Path file, String field) { source = file; sourceField = field; return this; }

        private TokenizerFormatException error(String field, String problem) {
            return new TokenizerFormatException(source, field, problem);
        }

        public BpeTokenizer build() throws TokenizerFormatException {
            if (pieces == null || pieces.length == 0) {
                throw error(sourceField, "the vocabulary is empty");
            }
            int n = pieces.length;
            if (types == null) {
                types = new TokenType[n];
                Arrays.fill(types, TokenType.NORMAL);
            }
            if (types.length != n || (scores != null && scores.length != n)) {
                throw error(sourceField, "token types/scores have " + types.length + "/"
                        + (scores == null ? n : scores.length) + " entries for " + n + " tokens");
            }
            for (int id : new int[] {unkId, bosId, eosId}) {
                if (id >= n) {
                    throw error(sourceField, "special token id " + id + " is outside the vocabulary of " + n);
                }
            }
            for (int id : extraStopIds) {
                if (id < 0 || id >= n) {
                    throw error(sourceField, "end-of-sequence token id " + id + " is outside the vocabulary of " + n);
                }
            }
            Map<String, Integer> pieceToId = new HashMap<>(n * 2);
            for (int i = 0; i < n; i++) {
                if (pieces[i] == null) {
                    throw error(sourceField, "token " + i + " is missing");
                }
                if (pieces[i].length() > TokenizerLimits.MAX_PIECE_CHARS) {
                    throw error(sourceField + "[" + i + "]", "piece of " + pieces[i].length()
                            + " characters is longer than the limit of " + TokenizerLimits.MAX_PIECE_CHARS);
                }
                pieceToId.putIfAbsent(pieces[i], i);
            }
            PairTable table = mergeList != null ? rankedMerges(pieceToId) : scoredMerges(pieceToId);
            int[] bmp = new int[0x10000];
            Arrays.fill(bmp, -1);
            Map<Integer, Integer> astral = new HashMap<>();
            int[] byteIds = new int[256];
            Arrays.fill(byteIds, -1);
            if (mode == Mode.BYTE_LEVEL) {
                for (int b = 0; b < 256; b++) {
                    Integer id = pieceToId.get(String.valueOf(ByteLevel.toChar(b)));
                    if (id == null) {
                        throw error(sourceField, "byte-level vocabulary has no token for byte " + b);
                    }
                    byteIds[b] = id;
                }
            } else {
                for (int i = n - 1; i >= 0; i--) { // lowest id wins for duplicated pieces
                    String p = pieces[i];
                    if ((types[i] == TokenType.NORMAL || types[i] == TokenType.USER_DEFINED) && !p.isEmpty()
                            && p.codePointCount(0, p.length()) == 1) {
                        int cp = p.codePointAt(0);
                        if (cp < 0x10000) {
                            bmp[cp] = i;
                        } else {
                            astral.put(cp, i);
                        }
                    }
                }
                if (byteFallback) {
                    for (int b = 0; b < 256; b++) {
                        byteIds[b] = pieceToId.getOrDefault(bytePiece(b), -1);
                    }
                }
            }
            byte[][] tokenBytes = new byte[n][];
            Map<String, Integer> specialTexts = new LinkedHashMap<>();
            for (int i = 0; i < n; i++) {
                tokenBytes[i] = decodeBytes(i);
                if (splitSpecials && (types[i] == TokenType.CONTROL || types[i] == TokenType.USER_DEFINED)) {
                    specialTexts.putIfAbsent(pieces[i], i);
                }
            }
            return new BpeTokenizer(this, pieceToId, table, bmp, astral, byteIds, tokenBytes,
                    new SpecialTokenSplitter(specialTexts));
        }

        private byte[] decodeBytes(int id) {
            String p = pieces[id];
            switch (types[id]) {
                case CONTROL, UNKNOWN, UNUSED -> {
                    return new byte[0];
                }
                case BYTE -> {
                    if (p.length() == 6 && p.startsWith("<0x") && p.endsWith(">")) {
                        try {
                            return new byte[] {(byte) Integer.parseInt(p.substring(3, 5), 16)};
                        } catch (NumberFormatException e) {
                            // fall through to the text
                        }
                    }
                    return p.getBytes(StandardCharsets.UTF_8);
                }
                case USER_DEFINED -> {
                    return p.getBytes(StandardCharsets.UTF_8);
                }
                default -> { }
            }
            if (mode == Mode.BYTE_LEVEL) {
                byte[] out = new byte[p.length()];
                for (int i = 0; i < p.length(); i++) {
                    int b = ByteLevel.toByte(p.charAt(i));
                    if (b < 0) { // not a byte-level piece (an added token): its text as is
                        return p.getBytes(StandardCharsets.UTF_8);
                    }
                    out[i] = (byte) b;
                }
                return out;
            }
            return (spaceSymbol == ' ' ? p : p.replace(spaceSymbol, ' ')).getBytes(StandardCharsets.UTF_8);
        }

        private PairTable rankedMerges(Map<String, Integer> pieceToId) throws TokenizerFormatException {
            PairTable table = new PairTable(mergeList.size());
            for (int rank = 0; rank < mergeList.size(); rank++) {
                String[] pair = mergeList.get(rank);
                Integer left = pieceToId.get(pair[0]);
                Integer right = pieceToId.get(pair[1]);
                Integer merged = pieceToId.get(pair[0] + pair[1]);
                if (left == null || right == null || merged == null) {
                    throw error("merges[" + rank + "]", "merge '" + pair[0] + " " + pair[1]
                            + "' uses or makes a token that is not in the vocabulary");
                }
                table.putIfAbsent(left, right, rank, merged);
            }
            return table;
        }

        /**
         * Every way to split each mergeable token into two mergeable tokens is a merge whose priority is the dense
         * rank of the token's score (equal scores share a rank, so ties go to the leftmost pair).
         */
        private PairTable scoredMerges(Map<String, Integer> pieceToId) throws TokenizerFormatException {
            if (scores == null) {
                throw error(sourceField, "has neither merges nor scores");
            }
            int n = pieces.length;
            float[] distinct = new float[n];
            int count = 0;
            for (int i = 0; i < n; i++) {
                if (Float.isNaN(scores[i])) {
                    throw error("scores[" + i + "]", "is NaN");
                }
            }
            float[] sorted = scores.clone();
            Arrays.sort(sorted);
            for (int i = n - 1; i >= 0; i--) {
                if (count == 0 || sorted[i] != distinct[count - 1]) {
                    distinct[count++] = sorted[i];
                }
            }
            boolean[] canonical = new boolean[n];
            for (int i = 0; i < n; i++) {
                canonical[i] = pieceToId.get(pieces[i]) == i;
            }
            PieceIndex index = new PieceIndex(pieces, canonical);
            PairTable table = new PairTable(n);
            for (int id = 0; id < n; id++) {
                String p = pieces[id];
                if (!types[id].mergeable() || p.length() < 2 || !canonical[id]) {
                    continue;
                }
                int rank = rankOf(distinct, count, scores[id]);
                index.load(p);
                for (int k = p.offsetByCodePoints(0, 1); k < p.length(); k = p.offsetByCodePoints(k, 1)) {
                    int left = index.find(p, 0, k);
                    int right = left < 0 ? -1 : index.find(p, k, p.length());
                    if (right >= 0 && types[left].mergeable() && types[right].mergeable()) {
                        table.putIfAbsent(left, right, rank, id);
                    }
                }
            }
            return table;
        }

        private static int rankOf(float[] descending, int count, float score) {
            int lo = 0;
            int hi = count - 1;
            while (lo < hi) {
                int mid = (lo + hi) >>> 1;
                if (descending[mid] > score) {
                    lo = mid + 1;
                } else {
                    hi = mid;
                }
            }
            return lo;
        }
    }

    /** Growable int array, to avoid boxing while encoding. */
    private static final class IntList {
        int[] data;
        int size;

        IntList(int capacity) { data = new int[Math.max(8, capacity)]; }

        void add(int v) {
            if (size == data.length) {
                data = Arrays.copyOf(data, size * 2);
            }
            data[size++] = v;
        }

        void addAll(int[] values) {
            if (size + values.length > data.length) {
                data = Arrays.copyOf(data, Math.max(size * 2, size + values.length));
            }
            System.arraycopy(values, 0, data, size, values.length);
            size += values.length;
        }

        int[] toArray() { return Arrays.copyOf(data, size); }
    }

    /** Growable byte array for decoding. */
    private static final class ByteBuffer {
        byte[] data = new byte[64];
        int size;

        /** Appends {@code bytes[from..to)}. */
        void add(byte[] bytes, int from, int to) {
            int n = to - from;
            if (size + n > data.length) {
                data = Arrays.copyOf(data, Math.max(size * 2, size + n));
            }
            System.arraycopy(bytes, from, data, size, n);
            size += n;
        }

        void dropFirst(int count) {
            System.arraycopy(data, count, data, 0, size - count);
            size -= count;
        }
    }
}

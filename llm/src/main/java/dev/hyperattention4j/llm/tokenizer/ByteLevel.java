package dev.hyperattention4j.llm.tokenizer;

/**
 * GPT-2's byte ↔ printable character mapping used by byte-level BPE vocabularies: bytes that are printable
 * Latin-1 characters ('!'..'~', '¡'..'¬', '®'..'ÿ') map to themselves, the other 68 bytes to U+0100 upwards in
 * byte order, so every byte sequence becomes a string of visible characters (a space becomes 'Ġ').
 */
final class ByteLevel {
    private static final char[] BYTE_TO_CHAR = new char[256];
    private static final int[] CHAR_TO_BYTE = new int[512];

    static {
        java.util.Arrays.fill(CHAR_TO_BYTE, -1);
        int extra = 0;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            char c = printable ? (char) b : (char) (256 + extra++);
            BYTE_TO_CHAR[b] = c;
            CHAR_TO_BYTE[c] = b;
        }
    }

    private ByteLevel() {}

    static char toChar(int b) { return BYTE_TO_CHAR[b & 0xFF]; }

    /** The byte a mapped character stands for, or -1 for characters outside the mapping. */
    static int toByte(char c) { return c < CHAR_TO_BYTE.length ? CHAR_TO_BYTE[c] : -1; }

    /** The mapped form of a UTF-8 string (used to look up merges written in mapped form). */
    static String encode(String text) {
        byte[] bytes = text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        char[] out = new char[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            out[i] = toChar(bytes[i]);
        }
        return new String(out);
    }
}

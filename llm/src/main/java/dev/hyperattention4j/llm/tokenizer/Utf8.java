package dev.hyperattention4j.llm.tokenizer;

/** UTF-8 boundary checks for streaming decode (a multi-byte character may be split across byte tokens). */
final class Utf8 {
    private Utf8() {}

    /** Expected length of a sequence from its lead byte, 1 for a stray continuation or invalid byte. */
    private static int sequenceLength(int lead) {
        if (lead < 0x80) {
            return 1;
        }
        if (lead >= 0xF0 && lead <= 0xF4) {
            return 4;
        }
        if (lead >= 0xE0) {
            return lead <= 0xEF ? 3 : 1;
        }
        return lead >= 0xC2 ? 2 : 1;
    }

    /**
     * Length of the longest prefix of {@code bytes[0..size)} that does not end inside an incomplete sequence. A
     * sequence cut short by a byte that is not a continuation is invalid whatever follows, so scanning resumes at
     * that byte (the decoder substitutes U+FFFD for the invalid bytes, exactly as when decoding everything at once;
     * fuzz finding: a broken sequence used to be emitted together with a valid lead after it, which then lost its
     * continuation).
     */
    static int completePrefix(byte[] bytes, int size) {
        int i = 0;
        while (i < size) {
            int len = sequenceLength(bytes[i] & 0xFF);
            int k = i + 1;
            while (k < size && k < i + len && (bytes[k] & 0xC0) == 0x80) {
                k++;
            }
            if (k < i + len) {
                if (k == size) {
                    return i;   // an unfinished sequence at the end waits for more bytes
                }
                i = k;          // broken by bytes[k]: invalid, and bytes[k] starts afresh
                continue;
            }
            i += len;
        }
        return size;
    }

    static boolean isComplete(byte[] bytes, int from, int to) {
        byte[] slice = java.util.Arrays.copyOfRange(bytes, from, to);
        return completePrefix(slice, slice.length) == slice.length;
    }
}

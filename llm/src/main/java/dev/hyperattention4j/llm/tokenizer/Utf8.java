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

    /** Length of the longest prefix of {@code bytes[0..size)} that does not end inside an incomplete sequence. */
    static int completePrefix(byte[] bytes, int size) {
        int i = 0;
        while (i < size) {
            int len = sequenceLength(bytes[i] & 0xFF);
            if (i + len > size) {
                // an unfinished sequence at the end waits for more bytes, if it is still a valid start
                for (int k = i + 1; k < size; k++) {
                    if ((bytes[k] & 0xC0) != 0x80) {
                        return size; // broken anyway: let the decoder substitute U+FFFD now
                    }
                }
                return i;
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

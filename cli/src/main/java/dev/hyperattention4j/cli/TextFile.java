package dev.hyperattention4j.cli;

import dev.hyperattention4j.runtime.HeapBudget;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Reads a text file named on the command line (the text of {@code ppl}, {@code inspect --tokenize}, the
 * experiments). It must be a regular file (not a directory, nor a device such as /dev/zero that never ends), fit in
 * the heap together with its tokens (checked before reading), and be UTF-8 text: a UTF-16 byte-order mark, a NUL
 * byte or an invalid UTF-8 sequence is an error naming the file and the byte offset. A UTF-8 byte-order mark is
 * skipped.
 */
public final class TextFile {
    /**
     * Heap bytes per byte of text at most: the bytes, the decoded String (two bytes per char when not Latin-1), and
     * the token ids (4 bytes per token, at most one token per byte) plus the tokenizer's chunks.
     */
    static final int HEAP_PER_BYTE = 8;

    private TextFile() {
    }

    /**
     * @param option the option that named the file, for the messages (e.g. "-f/--file")
     * @throws IllegalArgumentException naming the file and the problem
     */
    public static String read(Path file, String option) throws IOException {
        if (Files.isDirectory(file)) {
            throw new IllegalArgumentException(option + " " + file + ": is a directory; give a UTF-8 text file");
        }
        if (!Files.exists(file)) {
            throw new NoSuchFileException(file.toString());
        }
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException(option + " " + file + ": is not a regular file (a device or pipe "
                    + "cannot be sized before reading); give a UTF-8 text file");
        }
        long size = Files.size(file);
        HeapBudget.require((double) size * HEAP_PER_BYTE, "the text " + file + " (" + HeapBudget.size(size)
                + ") with its tokens", "give a shorter text to " + option);
        return decode(file, Files.readAllBytes(file));
    }

    /** UTF-8 text of {@code bytes}, or an error naming the file and the first bad byte's offset. */
    static String decode(Path file, byte[] bytes) {
        if (bytes.length >= 2 && ((bytes[0] & 0xFF) == 0xFE && (bytes[1] & 0xFF) == 0xFF
                || (bytes[0] & 0xFF) == 0xFF && (bytes[1] & 0xFF) == 0xFE)) {
            throw new IllegalArgumentException(file + ": is UTF-16 (byte-order mark at byte offset 0), not UTF-8; "
                    + "convert it, e.g. iconv -f UTF-16 -t UTF-8");
        }
        int start = bytes.length >= 3 && (bytes[0] & 0xFF) == 0xEF && (bytes[1] & 0xFF) == 0xBB
                && (bytes[2] & 0xFF) == 0xBF ? 3 : 0;
        for (int i = start; i < bytes.length; i++) {
            if (bytes[i] == 0) {
                throw new IllegalArgumentException(file + ": has a NUL byte at byte offset " + i + "; it is not "
                        + "UTF-8 text (binary, or UTF-16 without a byte-order mark?)");
            }
        }
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes, start, bytes.length - start);
        CharBuffer out = CharBuffer.allocate(bytes.length - start);
        CoderResult r = decoder.decode(in, out, true);
        if (!r.isError()) {
            r = decoder.flush(out);
        }
        if (r.isError()) {
            throw new IllegalArgumentException(file + ": invalid UTF-8 at byte offset " + in.position()
                    + "; the text must be UTF-8 (convert it, e.g. iconv -f LATIN1 -t UTF-8)");
        }
        return out.flip().toString();
    }
}

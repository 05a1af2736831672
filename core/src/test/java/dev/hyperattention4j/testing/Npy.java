package dev.hyperattention4j.testing;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A minimal NumPy {@code .npy} reader (format 1.0/2.0, C order, little-endian {@code <f4} and {@code <i8}), enough
 * for the shared test vectors.
 */
public final class Npy {
    private static final Pattern DESCR = Pattern.compile("'descr':\\s*'([^']+)'");
    private static final Pattern ORDER = Pattern.compile("'fortran_order':\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape':\\s*\\(([^)]*)\\)");

    /** The array's shape and data (floats or longs, whichever the file holds). */
    public record Array(int[] shape, float[] floats, long[] longs) {
        public long size() {
            long s = 1;
            for (int x : shape) {
                s *= x;
            }
            return s;
        }

        public int[] ints() {
            int[] out = new int[longs.length];
            for (int i = 0; i < out.length; i++) {
                out[i] = Math.toIntExact(longs[i]);
            }
            return out;
        }
    }

    private Npy() {}

    public static Array read(Path file) throws IOException {
        byte[] all = Files.readAllBytes(file);
        ByteBuffer buf = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN);
        if (all.length < 10 || (all[0] & 0xFF) != 0x93 || all[1] != 'N' || all[2] != 'U' || all[3] != 'M') {
            throw new IOException(file + ": not a .npy file (bad magic)");
        }
        int major = all[6];
        int headerLen;
        int headerStart;
        if (major == 1) {
            headerLen = buf.getShort(8) & 0xFFFF;
            headerStart = 10;
        } else {
            headerLen = buf.getInt(8);
            headerStart = 12;
        }
        String header = new String(all, headerStart, headerLen, StandardCharsets.ISO_8859_1);
        String descr = group(DESCR, header, file);
        if (group(ORDER, header, file).equals("True")) {
            throw new IOException(file + ": Fortran order is not supported");
        }
        String shapeText = group(SHAPE, header, file).trim();
        int[] shape = shapeText.isEmpty() ? new int[0]
                : java.util.Arrays.stream(shapeText.split(",")).map(String::trim).filter(s -> !s.isEmpty())
                        .mapToInt(Integer::parseInt).toArray();
        long count = 1;
        for (int s : shape) {
            count *= s;
        }
        int data = headerStart + headerLen;
        buf.position(data);
        switch (descr) {
            case "<f4" -> {
                float[] f = new float[Math.toIntExact(count)];
                buf.asFloatBuffer().get(f);
                return new Array(shape, f, null);
            }
            case "<i8" -> {
                long[] l = new long[Math.toIntExact(count)];
                buf.asLongBuffer().get(l);
                return new Array(shape, null, l);
            }
            default -> throw new IOException(file + ": unsupported dtype " + descr);
        }
    }

    private static String group(Pattern p, String header, Path file) throws IOException {
        Matcher m = p.matcher(header);
        if (!m.find()) {
            throw new IOException(file + ": header lacks " + p.pattern() + ": " + header);
        }
        return m.group(1);
    }
}

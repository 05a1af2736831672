package dev.hyperattention4j.llm.testing;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads a little-endian float32 C-order 2-D .npy array (NumPy format v1/v2), the goldens' logits files. */
public final class Npy {
    /** A [rows][cols] float32 matrix, row-major. */
    public record Matrix(int rows, int cols, float[] values) {
        public float at(int r, int c) { return values[r * cols + c]; }
    }

    private static final Pattern SHAPE = Pattern.compile("'shape':\\s*\\((\\d+),\\s*(\\d+)\\)");

    private Npy() {}

    public static Matrix read(Path file) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        byte[] magic = new byte[6];
        b.get(magic);
        if (!new String(magic, StandardCharsets.ISO_8859_1).equals("\u0093NUMPY")) {
            throw new IOException(file + ": not a .npy file");
        }
        int major = b.get();
        b.get();
        int headerLength = major == 1 ? b.getShort() & 0xffff : b.getInt();
        byte[] header = new byte[headerLength];
        b.get(header);
        String h = new String(header, StandardCharsets.ISO_8859_1);
        Matcher m = SHAPE.matcher(h);
        if (!h.contains("'<f4'") || !h.contains("'fortran_order': False") || !m.find()) {
            throw new IOException(file + ": expected a C-order <f4 2-D array, header " + h.strip());
        }
        int rows = Integer.parseInt(m.group(1)), cols = Integer.parseInt(m.group(2));
        float[] v = new float[rows * cols];
        b.asFloatBuffer().get(v);
        return new Matrix(rows, cols, v);
    }
}

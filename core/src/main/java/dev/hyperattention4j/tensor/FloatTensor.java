package dev.hyperattention4j.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * A four-dimensional float32 view {@code [batch][heads][length][dim]} over a {@code float[]} or a
 * {@link MemorySegment}, with an offset and explicit strides (in elements). Views never copy: kernels read whole rows
 * ({@link #readRow}) into their own packed scratch and write results back with {@link #writeRow}.
 *
 * <p>Indices are {@code long} internally, so a segment larger than 2^31 elements can be addressed.
 */
public final class FloatTensor {
    private static final ValueLayout.OfFloat LE_FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED
            .withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);

    private final float[] array;          // exactly one of array / segment is non-null
    private final MemorySegment segment;
    private final long offset;
    private final int batch, heads, length, dim;
    private final long batchStride, headStride, rowStride, colStride;

    private FloatTensor(float[] array, MemorySegment segment, long offset, int[] shape, long[] strides) {
        this.array = array;
        this.segment = segment;
        this.offset = offset;
        this.batch = shape[0];
        this.heads = shape[1];
        this.length = shape[2];
        this.dim = shape[3];
        this.batchStride = strides[0];
        this.headStride = strides[1];
        this.rowStride = strides[2];
        this.colStride = strides[3];
    }

    /** A new zero-filled contiguous tensor. */
    public static FloatTensor zeros(int batch, int heads, int length, int dim) {
        checkShape(new int[] {batch, heads, length, dim}, new long[4]);
        long size = (long) batch * heads * length * dim;
        if (size > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("tensor shape " + bracketed(new int[] {batch, heads, length, dim})
                    + " holds " + size + " elements, more than a float[] can (2^31-17)");
        }
        return of(new float[(int) size], batch, heads, length, dim);
    }

    /** A contiguous row-major view {@code [batch][heads][length][dim]} of {@code data} starting at index 0. */
    public static FloatTensor of(float[] data, int batch, int heads, int length, int dim) {
        return strided(data, 0, new int[] {batch, heads, length, dim}, contiguousStrides(heads, length, dim));
    }

    /** A view of {@code data} with explicit offset and strides (elements). */
    public static FloatTensor strided(float[] data, long offset, int[] shape, long[] strides) {
        checkShape(shape, strides);
        if (data == null) {
            throw new IllegalArgumentException("data is null: expected a float[] holding a tensor of shape "
                    + bracketed(shape) + " [batch][heads][length][dim]");
        }
        checkBounds("float[]", data.length, offset, shape, strides);
        return new FloatTensor(data, null, offset, shape.clone(), strides.clone());
    }

    /** A contiguous little-endian float32 view of a memory segment (e.g. a memory-mapped weight file). */
    public static FloatTensor of(MemorySegment segment, long byteOffset, int batch, int heads, int length, int dim) {
        if (byteOffset % 4 != 0) {
            throw new IllegalArgumentException("segment byte offset " + byteOffset + " is not a multiple of 4");
        }
        return strided(segment, byteOffset / 4, new int[] {batch, heads, length, dim},
                contiguousStrides(heads, length, dim));
    }

    /** A view of a segment with explicit offset and strides, both in float elements. */
    public static FloatTensor strided(MemorySegment segment, long offset, int[] shape, long[] strides) {
        checkShape(shape, strides);
        if (segment == null) {
            throw new IllegalArgumentException("segment is null: expected a memory segment holding a float32 "
                    + "tensor of shape " + bracketed(shape) + " [batch][heads][length][dim]");
        }
        checkBounds("segment", segment.byteSize() / 4, offset, shape, strides);
        return new FloatTensor(null, segment, offset, shape.clone(), strides.clone());
    }

    private static long[] contiguousStrides(int heads, int length, int dim) {
        return new long[] {(long) heads * length * dim, (long) length * dim, dim, 1};
    }

    private static final String[] DIMENSIONS = {"batch", "heads", "length", "dim"};

    private static void checkShape(int[] shape, long[] strides) {
        if (shape == null || shape.length != 4 || strides == null || strides.length != 4) {
            throw new IllegalArgumentException("shape and strides must both have 4 entries [batch, heads, length, dim]");
        }
        for (int i = 0; i < 4; i++) {
            if (shape[i] <= 0) {
                throw new IllegalArgumentException("tensor " + DIMENSIONS[i] + " is " + shape[i] + " in shape "
                        + bracketed(shape) + " [batch][heads][length][dim]: every dimension must be positive");
            }
        }
        for (int i = 0; i < 4; i++) {
            if (strides[i] < 0) {
                throw new IllegalArgumentException("strides " + Arrays.toString(strides) + " must not be negative");
            }
        }
    }

    private static String bracketed(int[] shape) {
        return "[" + shape[0] + "][" + shape[1] + "][" + shape[2] + "][" + shape[3] + "]";
    }

    private static void checkBounds(String what, long capacity, long offset, int[] shape, long[] strides) {
        long last = offset;
        for (int i = 0; i < 4; i++) {
            last += (shape[i] - 1L) * strides[i];
        }
        if (offset < 0 || last >= capacity) {
            throw new IllegalArgumentException("view with offset " + offset + ", shape " + Arrays.toString(shape)
                    + " and strides " + Arrays.toString(strides) + " reaches element " + last + " but the " + what
                    + " holds " + capacity);
        }
    }

    public int batch() { return batch; }
    public int heads() { return heads; }
    public int length() { return length; }
    public int dim() { return dim; }

    /** "[B][H][N][D]" for messages. */
    public String shapeString() {
        return "[" + batch + "][" + heads + "][" + length + "][" + dim + "]";
    }

    private long index(int b, int h, int i, int j) {
        return offset + b * batchStride + h * headStride + i * rowStride + j * colStride;
    }

    public float get(int b, int h, int i, int j) {
        long idx = index(b, h, i, j);
        return array != null ? array[(int) idx] : segment.getAtIndex(LE_FLOAT, idx);
    }

    public void set(int b, int h, int i, int j, float value) {
        long idx = index(b, h, i, j);
        if (array != null) {
            array[(int) idx] = value;
        } else {
            segment.setAtIndex(LE_FLOAT, idx, value);
        }
    }

    /**
     * The {@code float[]} holding this tensor's rows when each row is a unit-stride run of one array, else null (a
     * segment, or a column stride other than 1). Kernels that gather many scattered rows read them in place, at
     * {@link #arrayIndex}, instead of copying every row out first. For reading only.
     */
    public float[] rowArray() {
        return array != null && colStride == 1 ? array : null;
    }

    /** The index of element {@code [b][h][i][0]} in {@link #rowArray()} (which must not be null). */
    public int arrayIndex(int b, int h, int i) {
        if (rowArray() == null) {
            throw new IllegalStateException("tensor " + shapeString() + " has no unit-stride rows in an array");
        }
        return (int) index(b, h, i, 0);
    }

    /** Copies row {@code [b][h][i][0..dim)} into {@code dst[dstOffset..dstOffset+dim)}. */
    public void readRow(int b, int h, int i, float[] dst, int dstOffset) {
        long base = index(b, h, i, 0);
        if (colStride == 1) {
            if (array != null) {
                System.arraycopy(array, (int) base, dst, dstOffset, dim);
            } else {
                MemorySegment.copy(segment, LE_FLOAT, base * 4, dst, dstOffset, dim);
            }
            return;
        }
        for (int j = 0; j < dim; j++) {
            long idx = base + j * colStride;
            dst[dstOffset + j] = array != null ? array[(int) idx] : segment.getAtIndex(LE_FLOAT, idx);
        }
    }

    /**
     * Copies rows {@code [first, first + count)} of head {@code [b][h]} into {@code dst} from {@code dstOffset}, one
     * row after another ({@code dim} floats apart): a single bulk copy when those rows are contiguous in an array.
     */
    public void readRows(int b, int h, int first, int count, float[] dst, int dstOffset) {
        if (array != null && colStride == 1 && rowStride == dim && count > 0) {
            System.arraycopy(array, (int) index(b, h, first, 0), dst, dstOffset, count * dim);
            return;
        }
        for (int i = 0; i < count; i++) {
            readRow(b, h, first + i, dst, dstOffset + i * dim);
        }
    }

    /**
     * The sum of one element of every 64-byte line of rows {@code rows[from..to)} of head {@code [b][h]}: every 16th
     * element and the row's last (a row need not start on a line, so it can span one line more than its length
     * needs). Its use is the loads: reading a scattered row set first, with independent loads the memory system
     * serves in parallel, brings it into cache before a gather copies it (Java has no prefetch instruction). A tight
     * loop over the array, so that many loads are in flight at once.
     */
    public float touchRows(int b, int h, int[] rows, int from, int to) {
        final int line = 16;
        float acc = 0;
        if (array != null && colStride == 1) {
            final float[] a = array;
            final int base = (int) index(b, h, 0, 0), stride = (int) rowStride, d = dim;
            for (int i = from; i < to; i++) {
                final int at = base + rows[i] * stride;
                for (int c = 0; c < d - 1; c += line) {
                    acc += a[at + c];
                }
                acc += a[at + d - 1];
            }
            return acc;
        }
        for (int i = from; i < to; i++) {
            for (int c = 0; c < dim - 1; c += line) {
                acc += get(b, h, rows[i], c);
            }
            acc += get(b, h, rows[i], dim - 1);
        }
        return acc;
    }

    /** Copies {@code src[srcOffset..srcOffset+dim)} into row {@code [b][h][i]}. */
    public void writeRow(int b, int h, int i, float[] src, int srcOffset) {
        long base = index(b, h, i, 0);
        if (colStride == 1) {
            if (array != null) {
                System.arraycopy(src, srcOffset, array, (int) base, dim);
            } else {
                MemorySegment.copy(src, srcOffset, segment, LE_FLOAT, base * 4, dim);
            }
            return;
        }
        for (int j = 0; j < dim; j++) {
            set(b, h, i, j, src[srcOffset + j]);
        }
    }

    /** True when every element is finite: a vectorised scan, fast enough to run on every attention call. */
    public boolean allFinite() {
        return allFinite(0, 1);
    }

    /**
     * True when every element of slice {@code part} of {@code parts} is finite: the rows {@code [b][h][i]}, taken
     * in order, cut into {@code parts} near-equal runs. Lets callers scan a large tensor in parallel.
     */
    public boolean allFinite(int part, int parts) {
        if (parts < 1 || part < 0 || part >= parts) {
            throw new IllegalArgumentException("part " + part + " of " + parts + " is invalid");
        }
        final long rows = (long) batch * heads * length;
        final long from = rows * part / parts, to = rows * (part + 1) / parts;
        if (array != null && colStride == 1 && rowStride == dim && headStride == (long) length * dim
                && batchStride == (long) heads * length * dim) {
            return dev.hyperattention4j.kernel.FiniteScan.allFinite(array, (int) (offset + from * dim),
                    (int) (offset + to * dim));
        }
        float[] row = new float[dim];
        for (long r = from; r < to; r++) {
            final int i = (int) (r % length), h = (int) (r / length % heads), b = (int) (r / length / heads);
            readRow(b, h, i, row, 0);
            if (!dev.hyperattention4j.kernel.FiniteScan.allFinite(row, 0, dim)) {
                return false;
            }
        }
        return true;
    }

    /** The first non-finite element as {@code [b, h, i, j]}, or {@code null} when every element is finite. */
    public int[] firstNonFinite() {
        float[] row = new float[dim];
        for (int b = 0; b < batch; b++) {
            for (int h = 0; h < heads; h++) {
                for (int i = 0; i < length; i++) {
                    readRow(b, h, i, row, 0);
                    for (int j = 0; j < dim; j++) {
                        if (!Float.isFinite(row[j])) {
                            return new int[] {b, h, i, j};
                        }
                    }
                }
            }
        }
        return null;
    }

    /** A contiguous float[] copy (tests and small tensors). */
    public float[] toArray() {
        long size = (long) batch * heads * length * dim;
        if (size > Integer.MAX_VALUE - 16) {
            throw new IllegalStateException("tensor " + shapeString() + " is too large for one float[]");
        }
        float[] out = new float[(int) size];
        int p = 0;
        for (int b = 0; b < batch; b++) {
            for (int h = 0; h < heads; h++) {
                for (int i = 0; i < length; i++) {
                    readRow(b, h, i, out, p);
                    p += dim;
                }
            }
        }
        return out;
    }
}

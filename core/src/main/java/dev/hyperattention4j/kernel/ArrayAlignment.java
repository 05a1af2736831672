package dev.hyperattention4j.kernel;

import com.sun.management.HotSpotDiagnosticMXBean;
import java.lang.management.ManagementFactory;

/**
 * Where the elements of a new {@code float[]} lie relative to a 64-byte cache line, so the kernels can start their
 * hot arrays on a line boundary. A 64-byte vector load that straddles two lines costs two cache accesses; with
 * HotSpot's default 8-byte object alignment a Java array starts anywhere on a multiple of 8 bytes, so most 512-bit
 * loads straddle. Measured on this project's AVX-512 machine (paired runs in one JVM, one thread, n = 4096): the
 * exact kernel runs 9-11 % faster with every tile aligned.
 *
 * <p>Java offers no address of a heap array, but with {@code -XX:ObjectAlignmentInBytes=64} (which {@code ./ha4j}
 * passes to its attention benchmarks) every object starts on a line, and a float array's elements start after
 * HotSpot's 16-byte array header (8-byte mark word, 4-byte compressed class pointer, 4-byte length). Element
 * {@link #FLOAT_OFFSET} = 12 then starts a line. In any other configuration (default alignment, compact object
 * headers, uncompressed class pointers, another VM) the offset is 0: the layout is only ever a speed matter, never a
 * correctness one.
 */
public final class ArrayAlignment {
    /** Bytes per cache line. */
    public static final int LINE_BYTES = 64;
    /** Index of the first cache-line-aligned element of a new float[] (0 when unknown). */
    public static final int FLOAT_OFFSET = floatOffset();

    private ArrayAlignment() {}

    private static int floatOffset() {
        try {
            HotSpotDiagnosticMXBean vm = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
            if (vm == null) {
                return 0;
            }
            long objectAlignment = Long.parseLong(vm.getVMOption("ObjectAlignmentInBytes").getValue());
            boolean compressedClassPointers = flag(vm, "UseCompressedClassPointers", false);
            boolean compactHeaders = flag(vm, "UseCompactObjectHeaders", false);
            if (objectAlignment % LINE_BYTES != 0 || !compressedClassPointers || compactHeaders) {
                return 0;
            }
            final int arrayHeaderBytes = 16;
            return (LINE_BYTES - arrayHeaderBytes) / Float.BYTES;
        } catch (RuntimeException | LinkageError e) {
            return 0;    // no HotSpot management interface: keep the unaligned layout
        }
    }

    private static boolean flag(HotSpotDiagnosticMXBean vm, String name, boolean absent) {
        try {
            return Boolean.parseBoolean(vm.getVMOption(name).getValue());
        } catch (IllegalArgumentException unknownOption) {
            return absent;
        }
    }
}

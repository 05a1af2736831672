package dev.hyperattention4j.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.management.ManagementFactory;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The aligned layout is used exactly when this JVM runs with objects on 64-byte lines (core's test executions run both). */
class ArrayAlignmentTest {
    @Test
    void offsetFollowsTheObjectAlignmentOfThisJvm() {
        List<String> args = ManagementFactory.getRuntimeMXBean().getInputArguments();
        boolean lineAligned = args.contains("-XX:ObjectAlignmentInBytes=64");
        boolean otherHeaders = args.contains("-XX:+UseCompactObjectHeaders")
                || args.contains("-XX:-UseCompressedClassPointers");
        int expected = lineAligned && !otherHeaders ? 12 : 0;
        assertEquals(expected, ArrayAlignment.FLOAT_OFFSET, "JVM arguments " + args);
        assertEquals(expected, PackedKeyValues.BASE);
        assertEquals(expected, FlashTiles.BASE);
    }
}

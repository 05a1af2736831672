package dev.hyperattention4j.llm.quant;

import java.lang.foreign.MemorySegment;

/**
 * The 12-byte field of Q4_K and Q5_K that packs eight 6-bit sub-block scales and eight 6-bit sub-block minimums.
 * With {@code b} the 12 bytes and j the sub-block (0..7):
 * <pre>
 *   j &lt; 4:  scale = b[j] &amp; 63                          min = b[j + 4] &amp; 63
 *   j &ge; 4:  scale = (b[j + 4] &amp; 15) | (b[j - 4] &gt;&gt; 6) &lt;&lt; 4   min = (b[j + 4] &gt;&gt; 4) | (b[j] &gt;&gt; 6) &lt;&lt; 4
 * </pre>
 * i.e. bytes 0..3 hold scales 0..3, bytes 4..7 mins 0..3, bytes 8..11 the low four bits of scales 4..7 (low nibble)
 * and mins 4..7 (high nibble); the top two bits of bytes 0..7 hold the high bits of scales and mins 4..7.
 */
public final class PackedScales {
    public static final int BYTES = 12;

    private PackedScales() {}

    /** Sub-block j's 6-bit scale, from the field at byte {@code at}. */
    public static int scale(MemorySegment s, long at, int j) {
        return j < 4 ? Bytes.u8(s, at + j) & 63
                : (Bytes.u8(s, at + j + 4) & 15) | (Bytes.u8(s, at + j - 4) >>> 6) << 4;
    }

    /** Sub-block j's 6-bit minimum, from the field at byte {@code at}. */
    public static int min(MemorySegment s, long at, int j) {
        return j < 4 ? Bytes.u8(s, at + j + 4) & 63
                : (Bytes.u8(s, at + j + 4) >>> 4) | (Bytes.u8(s, at + j) >>> 6) << 4;
    }

    /** Packs eight scales and eight minimums (each 0..63) into {@code out[off .. off + 12)}. */
    public static void pack(int[] scales, int[] mins, byte[] out, int off) {
        for (int j = 0; j < 4; j++) {
            out[off + j] = (byte) (scales[j] | (scales[j + 4] >>> 4) << 6);
            out[off + j + 4] = (byte) (mins[j] | (mins[j + 4] >>> 4) << 6);
            out[off + j + 8] = (byte) ((scales[j + 4] & 15) | (mins[j + 4] & 15) << 4);
        }
    }
}

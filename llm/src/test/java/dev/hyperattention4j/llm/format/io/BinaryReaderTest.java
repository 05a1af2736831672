package dev.hyperattention4j.llm.format.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hyperattention4j.llm.model.ModelFormatException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

/** Little-endian reads, the position they advance, and the bounds check that comes before any allocation. */
class BinaryReaderTest {
    private static final FormatErrors ERRORS = (field, problem, offset) ->
            new ModelFormatException(null, field, problem, offset);

    private static BinaryReader reader(int skip) {
        ByteBuffer b = ByteBuffer.allocate(4 + 8 + 2 * 3 + 4 * 3 + 8 * 2 + 4 * 2 + 8).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(-7).putLong(1L << 40);
        b.putShort((short) -1).putShort((short) 2).putShort((short) 30000);
        b.putInt(Integer.MIN_VALUE).putInt(0).putInt(123456789);
        b.putLong(-9).putLong(Long.MAX_VALUE);
        b.putFloat(1.5f).putFloat(Float.NaN);
        b.putDouble(Math.PI);
        return new BinaryReader(MemorySegment.ofArray(b.array()), skip, ERRORS);
    }

    @Test
    void scalarsAndArraysReadLittleEndianAndAdvance() throws ModelFormatException {
        BinaryReader in = reader(0);
        assertThat(in.readInt("i")).isEqualTo(-7);
        assertThat(in.readLong("l")).isEqualTo(1L << 40);
        assertThat(in.readShorts(3, "s")).containsExactly((short) -1, (short) 2, (short) 30000);
        assertThat(in.readInts(3, "is")).containsExactly(Integer.MIN_VALUE, 0, 123456789);
        assertThat(in.readLongs(2, "ls")).containsExactly(-9L, Long.MAX_VALUE);
        float[] f = in.readFloats(2, "fs");
        assertThat(f[0]).isEqualTo(1.5f);
        assertThat(f[1]).isNaN();
        assertThat(in.readDoubles(1, "ds")).containsExactly(Math.PI);
        assertThat(in.remaining()).isZero();
        assertThat(in.readInts(0, "empty")).isEmpty();
    }

    @Test
    void aReadPastTheEndNamesTheFieldAndOffsetAndMovesNothing() {
        BinaryReader in = reader(58); // 4 bytes left
        assertThatThrownBy(() -> in.readLongs(1, "x.n")).isInstanceOf(ModelFormatException.class)
                .hasMessage("<memory>: x.n: needs 8 bytes but only 4 remain before the end of the file "
                        + "(truncated or corrupt) (at byte offset 58)");
        assertThat(in.position()).isEqualTo(58);
        // a lying count fails on the bounds check, before an array of that size is allocated
        assertThatThrownBy(() -> in.readDoubles(Integer.MAX_VALUE, "x.d")).isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("needs 17179869176 bytes");
        assertThatThrownBy(() -> in.readInts(-1, "x.i")).isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("x.i: needs -4 bytes");
        assertThatThrownBy(() -> in.readDouble("x")).isInstanceOf(ModelFormatException.class);
        assertThat(in.position()).isEqualTo(58);
    }
}

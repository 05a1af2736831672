package dev.hyperattention4j.llm.format.io;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** Maps whole files read-only into an arena that the caller owns (closing the arena unmaps them). */
public final class MappedFile {
    private MappedFile() {}

    /** Maps all of {@code file}; the channel is closed at once because the mapping outlives it. */
    public static MemorySegment map(Path file, Arena arena) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = channel.size();
            if (size == 0) {
                return MemorySegment.NULL.reinterpret(0);
            }
            return channel.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
        }
    }
}

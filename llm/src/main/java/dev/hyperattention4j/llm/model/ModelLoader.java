package dev.hyperattention4j.llm.model;

import dev.hyperattention4j.llm.format.io.BinaryReader;
import dev.hyperattention4j.llm.format.llama2c.Llama2cLoader;
import dev.hyperattention4j.llm.format.safetensors.SafetensorsFile;
import dev.hyperattention4j.llm.format.safetensors.SafetensorsLoader;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.stream.Stream;

/**
 * The one entry point for model files. The format is detected from the content, never from the file name:
 * <ol>
 *   <li>a directory: its {@code model.safetensors.index.json}, {@code model.safetensors}, single {@code .gguf}, or
 *       single {@code .bin} other than {@code tok*.bin} (then detected by content like any file);</li>
 *   <li>bytes "GGUF" at offset 0: GGUF;</li>
 *   <li>a JSON object: a safetensors shard index;</li>
 *   <li>a plausible uint64 header length followed by '{': safetensors (config.json and tokenizer.json beside it);</li>
 *   <li>llama2.c's "ak42" magic (export version 1), or a 28-byte legacy llama2.c header whose implied size equals
 *       the file size: llama2.c (tokenizer beside it).</li>
 * </ol>
 * Anything else is a {@link ModelFormatException}.
 */
public final class ModelLoader {
    public enum Format { GGUF, SAFETENSORS, SAFETENSORS_INDEX, LLAMA2C }

    private ModelLoader() {}

    public static Model open(Path path) throws IOException {
        return open(path, null);
    }

    /**
     * @param tokenizer explicit tokenizer file for llama2.c checkpoints (null: look next to the checkpoint);
     *                  ignored by formats that carry or fix their tokenizer
     */
    public static Model open(Path path, Path tokenizer) throws IOException {
        Path file = resolve(path);
        return switch (detect(file)) {
            case GGUF -> dev.hyperattention4j.llm.format.gguf.GgufLoader.open(file);
            case SAFETENSORS -> SafetensorsLoader.open(file, false);
            case SAFETENSORS_INDEX -> SafetensorsLoader.open(file, true);
            case LLAMA2C -> Llama2cLoader.open(file, tokenizer);
        };
    }

    /** A directory becomes the model file inside it. */
    static Path resolve(Path path) throws IOException {
        if (!Files.exists(path)) {
            throw new NoSuchFileException(path.toString(), null, "model file or directory does not exist");
        }
        if (!Files.isDirectory(path)) {
            return path;
        }
        for (String name : new String[] {"model.safetensors.index.json", "model.safetensors"}) {
            if (Files.isRegularFile(path.resolve(name))) {
                return path.resolve(name);
            }
        }
        List<Path> ggufs;
        try (Stream<Path> files = Files.list(path)) {
            ggufs = files.filter(p -> p.getFileName().toString().endsWith(".gguf")).toList();
        }
        if (ggufs.size() == 1) {
            return ggufs.getFirst();
        }
        List<Path> checkpoints;
        try (Stream<Path> files = Files.list(path)) { // llama2.c: the one .bin that is not a tokenizer
            checkpoints = files.filter(p -> {
                String name = p.getFileName().toString();
                return name.endsWith(".bin") && !name.startsWith("tok") && Files.isRegularFile(p);
            }).toList();
        }
        if (ggufs.isEmpty() && checkpoints.size() == 1) {
            return checkpoints.getFirst();
        }
        throw new ModelFormatException(path, "directory", "holds no model.safetensors, shard index, single .gguf "
                + "or single llama2.c .bin", -1);
    }

    /** Detects the format of a regular file from its first bytes and size. */
    public static Format detect(Path file) throws IOException {
        long size = Files.size(file);
        ByteBuffer head = ByteBuffer.allocate((int) Math.min(size, 64));
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            while (head.hasRemaining() && ch.read(head) >= 0) {
                // read the first bytes fully
            }
        }
        head.flip();
        byte[] b = new byte[head.remaining()];
        head.get(b);
        if (b.length >= 4 && b[0] == 'G' && b[1] == 'G' && b[2] == 'U' && b[3] == 'F') {
            return Format.GGUF;
        }
        if (Llama2cLoader.hasMagic(MemorySegment.ofArray(b))) { // versioned llama2.c export: errors are final
            Llama2cLoader.Header h = Llama2cLoader.readHeader(MemorySegment.ofArray(b), (field, problem, offset) ->
                    new dev.hyperattention4j.llm.format.llama2c.Llama2cFormatException(file, field, problem, offset));
            if (h.expectedBytes() != size) {
                throw new dev.hyperattention4j.llm.format.llama2c.Llama2cFormatException(file, "file size", "is "
                        + size + " bytes but the llama2.c version-" + h.version() + " header implies "
                        + h.expectedBytes() + " (truncated?)", size);
            }
            return Format.LLAMA2C;
        }
        int first = 0;
        while (first < b.length && Character.isWhitespace(b[first])) {
            first++;
        }
        if (first < b.length && b[first] == '{') {
            return Format.SAFETENSORS_INDEX;
        }
        if (b.length >= 10) {
            long n = MemorySegment.ofArray(b).get(BinaryReader.LONG, 0);
            // header length sanity is left to the parser, so a truncated file gets a precise message
            if (n >= 2 && n <= SafetensorsFile.MAX_HEADER && b[8] == '{') {
                return Format.SAFETENSORS;
            }
        }
        if (b.length >= Llama2cLoader.HEADER_BYTES) {
            Llama2cLoader.Header h = null;
            try {
                h = Llama2cLoader.readHeader(MemorySegment.ofArray(b),
                        (field, problem, offset) -> new ModelFormatException(file, field, problem, offset));
            } catch (ModelFormatException notLlama2c) {
                // not a plausible llama2.c header: fall through to the generic message
            }
            if (h != null && h.expectedBytes() == size) {
                return Format.LLAMA2C;
            }
            if (h != null) {
                // a plausible llama2.c header (seven sane, mutually consistent ints) with the wrong size is far
                // more likely a truncated checkpoint than a coincidence: say so precisely
                throw new dev.hyperattention4j.llm.format.llama2c.Llama2cFormatException(file, "file size", "is "
                        + size + " bytes but the llama2.c header (dim " + h.dim() + ", layers " + h.layers()
                        + ", vocab " + h.vocabSize() + ") implies " + h.expectedBytes() + " (truncated or padded "
                        + "checkpoint?)", size);
            }
        }
        throw new ModelFormatException(file, "format", "is not a GGUF, safetensors or llama2.c model (unrecognised "
                + "first bytes, or a llama2.c header that does not match the file size of " + size + " bytes)", 0);
    }
}

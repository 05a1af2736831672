package dev.hyperattention4j.llm.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hyperattention4j.llm.model.ModelFormatException;
import dev.hyperattention4j.llm.model.WeightTensor;
import dev.hyperattention4j.llm.tokenizer.Tokenizer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;

/**
 * Shared invariants of the fuzz targets (docs/RELIABILITY.md): a malformed input may only fail with the format's
 * own {@link ModelFormatException} subclass, whose message names the file and a field; anything else (an
 * IndexOutOfBoundsException from a read outside the mapping, OutOfMemoryError, StackOverflowError, a JSON library
 * exception, an assertion below) escapes and is reported by Jazzer as a finding.
 */
final class FuzzSupport {
    private static Path scratch;

    private FuzzSupport() {}

    /** A private directory for the files the targets write (one per JVM, reused across iterations). */
    static synchronized Path scratch() {
        if (scratch == null) {
            try {
                scratch = Files.createTempDirectory("ha4j-fuzz");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return scratch;
    }

    static Path write(String relative, byte[] bytes) {
        try {
            Path p = scratch().resolve(relative);
            Files.createDirectories(p.getParent());
            Files.write(p, bytes);
            return p;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The documented shape of a format error: the right type, "file: field: problem", a sane offset. */
    static void checkFormatError(ModelFormatException e, Class<? extends ModelFormatException> type, long fileSize) {
        assertThat(e).isInstanceOf(type);
        assertThat(e.field()).isNotBlank();
        assertThat(e.getMessage()).startsWith((e.file() == null ? "<memory>" : e.file().toString()) + ": "
                + e.field() + ": ");
        assertThat(e.offset()).isBetween(-1L, Math.max(fileSize, 0));
    }

    /** Touches the first and last byte of every tensor: a view outside the mapping would throw here. */
    static long touch(Collection<WeightTensor> tensors) {
        long sum = 0;
        for (WeightTensor t : tensors) {
            long n = t.data().byteSize();
            if (n > 0) {
                sum += t.data().get(ValueLayout.JAVA_BYTE, 0) + t.data().get(ValueLayout.JAVA_BYTE, n - 1);
            }
        }
        return sum;
    }

    /** Encode/decode invariants that hold for any tokenizer a loader accepts. */
    static void exercise(Tokenizer tok, String text) {
        int[] ids = tok.encode(text, true);
        for (int id : ids) {
            assertThat(id).isBetween(0, tok.vocabSize() - 1);
        }
        String decoded = tok.decode(ids);
        assertThat(decoded).isNotNull();
        // the text a decoder returns is well-formed UTF-16 (incomplete byte sequences become U+FFFD)
        assertThat(new String(decoded.getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8)).isEqualTo(decoded);
    }

    /**
     * Time bound per input for the targets that build tokenizers and run their regexes (issue #25): building and
     * running a tokenizer must be linear in the file and the text, so any input taking longer than this is a finding
     * (a hang or super-linear work), reported by JUnit's preemptive timeout instead of stalling the fuzzer.
     */
    static final java.time.Duration PER_INPUT = java.time.Duration.ofSeconds(20);

    /** Runs {@code work} under {@link #PER_INPUT}. */
    static void bounded(org.junit.jupiter.api.function.Executable work) {
        org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(PER_INPUT, work,
                "one input took longer than " + PER_INPUT.toSeconds() + " s: a hang or super-linear work");
    }
}

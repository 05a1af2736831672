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
        // control characters of the file (a key, a name) are printed escaped, so the message holds the escaped field
        assertThat(e.getMessage()).startsWith(dev.hyperattention4j.llm.format.io.Printable.escape(
                (e.file() == null ? "<memory>" : e.file().toString()) + ": " + e.field() + ": "));
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

    /** Parses a container format held in memory and returns its tensors. */
    interface Container {
        Collection<WeightTensor> tensors(java.lang.foreign.MemorySegment data) throws ModelFormatException;
    }

    /** A container target: the tensors of whatever parses are touched; anything else is the format's error. */
    static void parseContainer(byte[] data, Container format, Class<? extends ModelFormatException> error) {
        try {
            touch(format.tensors(java.lang.foreign.MemorySegment.ofArray(data)));
        } catch (ModelFormatException e) {
            checkFormatError(e, error, data.length);
        }
    }

    /** Reads a tokenizer file. */
    interface TokenizerReader {
        Tokenizer read(Path file) throws IOException;
    }

    /**
     * A tokenizer target: {@code data} written to {@code relative} and read; a refusal is a TokenizerFormatException
     * of the documented shape, an accepted tokenizer must keep the encode/decode invariants on {@code text}.
     */
    static void readTokenizer(String relative, byte[] data, TokenizerReader reader, String text) throws IOException {
        Path file = write(relative, data);
        Tokenizer tok;
        try {
            tok = reader.read(file);
        } catch (ModelFormatException e) {
            checkFormatError(e, dev.hyperattention4j.llm.tokenizer.TokenizerFormatException.class, data.length);
            return;
        }
        exerciseWithinBudget(tok, text);
    }

    /**
     * {@link #exercise}, where the one failure allowed is the documented one of a file-supplied regex whose search
     * loop is quadratic (the read budget of BoundedText).
     */
    static void exerciseWithinBudget(Tokenizer tok, String text) {
        try {
            exercise(tok, text);
        } catch (IllegalArgumentException e) {
            assertThat(e.getMessage()).startsWith("the tokenizer's pre-tokenizer pattern");
        }
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

    private static boolean initialised;

    /**
     * Uses every reader the bounded targets call once on valid tiny inputs, outside the time bound: under Jazzer's
     * instrumentation on a loaded host the first use alone (loading and initialising Jackson, the tokenizer builders
     * and both regex engines) took more than {@link #PER_INPUT} (campaign 5), which is class loading, not the input.
     */
    private static synchronized void initialiseOnce() throws Throwable {
        if (initialised) {
            return;
        }
        initialised = true;
        Path json = write("init/tokenizer.json", TokenizerFuzzTest.byteLevelJson().toString()
                .getBytes(StandardCharsets.UTF_8));
        exercise(dev.hyperattention4j.llm.tokenizer.HfTokenizerJson.read(json, 1, 2, 0), "Once upon a time, 123");
        Path bin = write("init/tokenizer.bin", dev.hyperattention4j.llm.hardening.TinyModelFiles.tokenizerBin());
        exercise(dev.hyperattention4j.llm.tokenizer.Llama2cTokenizerReader.read(bin,
                dev.hyperattention4j.llm.hardening.TinyModelFiles.VOCAB), "Once upon a time");
        dev.hyperattention4j.llm.tokenizer.SplitPattern.compile("(?:a|b)*c").source();
    }

    /** Runs {@code work} under {@link #PER_INPUT}. */
    static void bounded(org.junit.jupiter.api.function.Executable work) {
        try {
            initialiseOnce();
        } catch (Throwable e) {
            throw new AssertionError("the fuzz targets' readers fail on valid tiny inputs", e);
        }
        org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(PER_INPUT, work,
                "one input took longer than " + PER_INPUT.toSeconds() + " s: a hang or super-linear work");
    }
}

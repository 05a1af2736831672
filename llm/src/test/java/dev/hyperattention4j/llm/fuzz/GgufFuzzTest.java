package dev.hyperattention4j.llm.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.hyperattention4j.llm.format.gguf.GgufFile;
import dev.hyperattention4j.llm.format.gguf.GgufFormatException;
import dev.hyperattention4j.llm.format.gguf.GgufLoader;
import dev.hyperattention4j.llm.model.LoadedModel;
import dev.hyperattention4j.llm.model.ModelFormatException;
import dev.hyperattention4j.llm.tokenizer.TokenizerFormatException;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;

/** Fuzzes GGUF: the container (header, typed metadata, tensor infos, alignment) and the whole loader. */
class GgufFuzzTest {
    private static final Path FILE = Path.of("fuzz.gguf");

    @FuzzTest(maxDuration = "2m")
    void container(byte[] data) {
        try {
            GgufFile parsed = GgufFile.parse(FILE, MemorySegment.ofArray(data));
            assertThat(parsed.version()).isBetween(2, 3);
            FuzzSupport.touch(parsed.tensors().values());
        } catch (GgufFormatException e) {
            FuzzSupport.checkFormatError(e, GgufFormatException.class, data.length);
        }
    }

    /** Metadata to model configuration, tensor binding and the embedded tokenizer. */
    @FuzzTest(maxDuration = "2m")
    void model(byte[] data) {
        FuzzSupport.bounded(() -> modelOnce(data));
    }

    private static void modelOnce(byte[] data) throws IOException {
        Path file = FuzzSupport.write("gguf/model.gguf", data);
        try (LoadedModel m = GgufLoader.open(file)) {
            assertThat(m.tokenizer().vocabSize()).isBetween(1, m.config().vocabSize());
            FuzzSupport.touch(m.tensors());
            FuzzSupport.exercise(m.tokenizer(), "Once upon a time, ab \u00e9\ud83d\ude00\n");
        } catch (TokenizerFormatException e) {
            FuzzSupport.checkFormatError(e, TokenizerFormatException.class, data.length);
        } catch (ModelFormatException e) {
            FuzzSupport.checkFormatError(e, GgufFormatException.class, data.length);
        }
    }
}

package dev.hyperattention4j.llm.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.hyperattention4j.llm.hardening.TinyModelFiles;
import dev.hyperattention4j.llm.model.Model;
import dev.hyperattention4j.llm.model.ModelFormatException;
import dev.hyperattention4j.llm.model.ModelLoader;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Fuzzes the public entry point: format detection plus whichever loader it picks, with valid config.json,
 * tokenizer.json and tokenizer.bin beside the fuzzed file so a plausible file gets all the way through binding.
 */
class ModelLoaderFuzzTest {
    private static volatile boolean companions;

    @FuzzTest(maxDuration = "2m")
    void open(byte[] data) {
        FuzzSupport.bounded(() -> openOnce(data));
    }

    private static void openOnce(byte[] data) throws IOException {
        if (!companions) {
            FuzzSupport.write("any/config.json", TinyModelFiles.configJson().toString().getBytes());
            FuzzSupport.write("any/tokenizer.json", TinyModelFiles.tokenizerJson().toString().getBytes());
            FuzzSupport.write("any/tokenizer.bin", TinyModelFiles.tokenizerBin());
            companions = true;
        }
        Path file = FuzzSupport.write("any/model.bin", data);
        try (Model m = ModelLoader.open(file)) {
            assertThat(m.tokenizer().vocabSize()).isBetween(1, m.config().vocabSize());
            FuzzSupport.touch(m.tensors());
        } catch (ModelFormatException e) {
            // each loader throws its own subclass; detection throws the base type
            FuzzSupport.checkFormatError(e, ModelFormatException.class, Long.MAX_VALUE);
        }
    }
}

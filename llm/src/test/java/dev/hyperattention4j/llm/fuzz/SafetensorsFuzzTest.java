package dev.hyperattention4j.llm.fuzz;

import dev.hyperattention4j.llm.format.safetensors.HfConfig;
import dev.hyperattention4j.llm.format.safetensors.SafetensorsFile;
import dev.hyperattention4j.llm.format.safetensors.SafetensorsFormatException;
import dev.hyperattention4j.llm.model.ModelFormatException;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;

/**
 * Fuzzes the safetensors container (u64 length + JSON header + data) and config.json. Regression seeds live in
 * {@code src/test/resources/dev/hyperattention4j/llm/fuzz/SafetensorsFuzzTestInputs/<method>/}; fuzzing command in
 * docs/RELIABILITY.md.
 */
class SafetensorsFuzzTest {
    private static final Path FILE = Path.of("fuzz.safetensors");

    @FuzzTest(maxDuration = "2m")
    void container(byte[] data) {
        FuzzSupport.parseContainer(data, segment -> SafetensorsFile.parse(FILE, segment).tensors().values(),
                SafetensorsFormatException.class);
    }

    @FuzzTest(maxDuration = "2m")
    void configJson(byte[] data) {
        FuzzSupport.bounded(() -> configJsonOnce(data));
    }

    private static void configJsonOnce(byte[] data) {
        Path file = FuzzSupport.write("config/config.json", data);
        try {
            HfConfig.read(file, data.length % 2 == 0);
        } catch (ModelFormatException e) {
            FuzzSupport.checkFormatError(e, SafetensorsFormatException.class, data.length);
        } catch (java.io.IOException e) {
            throw new AssertionError("undocumented exception type", e);
        }
    }
}

package dev.hyperattention4j.llm.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.hyperattention4j.llm.testing.SharedData;
import dev.hyperattention4j.llm.testing.TinyModels;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Opening and closing a model many times leaves no mapping behind: the number of /proc/self/maps lines that name
 * the model's files is the same before and after, and is higher while a model is open (so the check can see
 * mappings at all). FFM mappings do not show in the BufferPoolMXBean "mapped" pool, hence /proc.
 */
class MappingReleaseTest {
    @TempDir
    Path tmp;

    private static long mappingsOf(String fileName) throws Exception {
        try (var lines = Files.lines(Path.of("/proc/self/maps"))) {
            return lines.filter(l -> l.contains(fileName)).count();
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"tinystories-656k", "stories260K", "tiny-gguf"})
    void openCloseReleasesMappings(String which) throws Exception {
        assumeTrue(Files.exists(Path.of("/proc/self/maps")), "skipped: /proc/self/maps is not available");
        Path path;
        String mappedName;
        switch (which) {
            case "tinystories-656k" -> {
                path = SharedData.tinystories656k();
                mappedName = path.resolve("model.safetensors").toRealPath().toString();
            }
            case "stories260K" -> {
                path = SharedData.stories260k();
                mappedName = path.toRealPath().toString();   // /proc/self/maps names the file behind any link
            }
            default -> {
                path = TinyModels.gguf(DType.Q8_0, 3).write(tmp.resolve("tiny.gguf"));
                mappedName = path.toRealPath().toString();
            }
        }
        long before = mappingsOf(mappedName);
        try (Model m = ModelLoader.open(path)) {
            assertThat(mappingsOf(mappedName)).as("mapped while open").isGreaterThan(before);
            assertThat(m.config().layers()).isPositive();
        }
        for (int i = 0; i < 200; i++) {
            try (Model m = ModelLoader.open(path)) {
                assertThat(m.weights().finalNorm().data().byteSize()).isPositive();
            }
        }
        assertThat(mappingsOf(mappedName)).as("mappings after 201 open/close cycles").isEqualTo(before);
    }
}

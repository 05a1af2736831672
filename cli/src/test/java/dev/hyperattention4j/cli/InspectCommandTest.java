package dev.hyperattention4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hyperattention4j.llm.testing.SharedData;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ha4j inspect}: JSON on stdout for a real model, exit 1 and a message on stderr for a bad file. */
class InspectCommandTest {

    @Test
    void jsonForTheSafetensorsModel() throws Exception {
        Path model = SharedData.require("models/tinystories-656k");
        Path text = SharedData.require("texts/tinystories_sample.txt");
        CliRun r = CliRun.of("inspect", "--json", "--repeat", "1", "--tokenize", text.toString(), model.toString());
        assertThat(r.exit()).as(r.err()).isZero();
        JsonNode json = new ObjectMapper().readTree(r.out());
        assertThat(json.get("format").asText()).isEqualTo("safetensors");
        assertThat(json.get("config").get("kv_heads").asInt()).isEqualTo(4);
        assertThat(json.get("tokenizer").get("kind").asText()).isEqualTo("hf-bpe");
        assertThat(json.get("tensor_count").asInt()).isEqualTo(20);
        assertThat(json.get("parameters").asLong()).isEqualTo(656_000);
        assertThat(json.get("tensors").get(0).get("name").asText()).isEqualTo("lm_head.weight");
        assertThat(json.get("tokenize").get("tokens").asInt()).isGreaterThan(500);
        assertThat(json.get("weights_check").get("finite").asBoolean()).isTrue();
        assertThat(json.get("weights_check").get("values").asLong()).isEqualTo(656_000);
    }

    @Test
    void tableForTheLlama2cModel() {
        Path model = SharedData.require("models/stories260K/stories260K.bin");
        CliRun r = CliRun.of("inspect", "--repeat", "1", model.toString());
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("llama2c (llama)").contains("layers 5").contains("llama2c, 512 tokens")
                .contains("layers.4.feed_forward.w3.weight").contains("weights       all finite (checked in");
    }

    @Test
    void badFileExitsOneWithAMessage(@TempDir Path tmp) throws Exception {
        Path bad = Files.write(tmp.resolve("bad.gguf"), new byte[] {'G', 'G', 'U', 'F', 1, 0, 0, 0});
        CliRun r = CliRun.of("inspect", bad.toString());
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).contains("error:").contains("bad.gguf").contains("version");
    }
}

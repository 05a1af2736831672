package dev.hyperattention4j.llm.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hyperattention4j.llm.hardening.TinyModelFiles;
import dev.hyperattention4j.llm.model.ModelFormatException;
import dev.hyperattention4j.llm.tokenizer.BpeTokenizer;
import dev.hyperattention4j.llm.tokenizer.HfTokenizerJson;
import dev.hyperattention4j.llm.tokenizer.SplitPattern;
import dev.hyperattention4j.llm.tokenizer.TokenizerFormatException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/** Fuzzes Hugging Face tokenizer.json reading, then uses whatever tokenizer was accepted. */
class TokenizerJsonFuzzTest {

    @FuzzTest(maxDuration = "2m")
    void tokenizerJson(byte[] data) {
        FuzzSupport.bounded(() -> readAndUse(data));
    }

    private static void readAndUse(byte[] data) throws IOException {
        FuzzSupport.readTokenizer("hf/tokenizer.json", data, file -> HfTokenizerJson.read(file, 1, 2, 0),
                "Once upon a time, ab \u00e9\u4e2d\ud83d\ude00 <s> 12345\n\n  x");
    }

    /**
     * A pre-tokenizer regex and a text, both arbitrary: the pattern is refused at load with a message, or the
     * tokenizer using it encodes and decodes the text (ids in range, well-formed text), within the time bound; the
     * only failure while encoding is the read budget's message.
     */
    @FuzzTest(maxDuration = "2m")
    void splitPattern(FuzzedDataProvider data) {
        String regex = data.consumeString(200);
        String text = data.consumeRemainingAsString();
        FuzzSupport.bounded(() -> {
            SplitPattern pattern;
            try {
                pattern = SplitPattern.compile(regex);
            } catch (IllegalArgumentException e) {
                assertThat(e.getMessage()).isNotBlank();
                return;
            }
            ObjectNode t = TinyModelFiles.tokenizerJson();
            ObjectNode split = t.putObject("pre_tokenizer").put("type", "Split").put("behavior", "Isolated");
            split.putObject("pattern").put("Regex", regex);
            Path file = FuzzSupport.write("hf/split.json", t.toString().getBytes(StandardCharsets.UTF_8));
            BpeTokenizer tok = HfTokenizerJson.read(file, 1, 2, 0);
            assertThat(pattern.source()).isEqualTo(regex);
            FuzzSupport.exerciseWithinBudget(tok, text);
        });
    }
}

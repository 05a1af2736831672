package dev.hyperattention4j.llm.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.hyperattention4j.llm.model.ModelFormatException;
import dev.hyperattention4j.llm.tokenizer.BpeTokenizer;
import dev.hyperattention4j.llm.tokenizer.HfTokenizerJson;
import dev.hyperattention4j.llm.tokenizer.TokenizerFormatException;
import java.io.IOException;
import java.nio.file.Path;

/** Fuzzes Hugging Face tokenizer.json reading, then uses whatever tokenizer was accepted. */
class TokenizerJsonFuzzTest {

    @FuzzTest(maxDuration = "2m")
    void tokenizerJson(byte[] data) throws IOException {
        Path file = FuzzSupport.write("hf/tokenizer.json", data);
        BpeTokenizer tok;
        try {
            tok = HfTokenizerJson.read(file, 1, 2, 0);
        } catch (ModelFormatException e) {
            FuzzSupport.checkFormatError(e, TokenizerFormatException.class, data.length);
            return;
        }
        try {
            FuzzSupport.exercise(tok, "Once upon a time, ab \u00e9\u4e2d\ud83d\ude00 <s> 12345\n\n  x");
        } catch (IllegalArgumentException e) {
            // the documented failure of a file-supplied regex that runs away (BoundedText); nothing else
            assertThat(e.getMessage()).startsWith("the tokenizer's pre-tokenizer pattern");
        }
    }
}

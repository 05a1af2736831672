package dev.hyperattention4j.llm.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.hyperattention4j.llm.format.llama2c.Llama2cFormatException;
import dev.hyperattention4j.llm.format.llama2c.Llama2cLoader;
import dev.hyperattention4j.llm.hardening.TinyModelFiles;
import dev.hyperattention4j.llm.model.LoadedModel;
import dev.hyperattention4j.llm.model.ModelFormatException;
import dev.hyperattention4j.llm.tokenizer.BpeTokenizer;
import dev.hyperattention4j.llm.tokenizer.Llama2cTokenizerReader;
import dev.hyperattention4j.llm.tokenizer.TokenizerFormatException;
import java.io.IOException;
import java.nio.file.Path;

/** Fuzzes the llama2.c checkpoint (header + size arithmetic + slicing) and tokenizer.bin. */
class Llama2cFuzzTest {

    /** The checkpoint, with the tiny model's valid tokenizer.bin beside it. */
    @FuzzTest(maxDuration = "2m")
    void checkpoint(byte[] data) throws IOException {
        FuzzSupport.write("l2c/tokenizer.bin", TinyModelFiles.tokenizerBin());
        Path file = FuzzSupport.write("l2c/model.bin", data);
        try (LoadedModel m = Llama2cLoader.open(file, null)) {
            assertThat(m.config().vocabSize()).isPositive();
            FuzzSupport.touch(m.tensors());
        } catch (TokenizerFormatException e) { // a header whose vocab_size does not match the tokenizer
            FuzzSupport.checkFormatError(e, TokenizerFormatException.class, Long.MAX_VALUE);
        } catch (ModelFormatException e) {
            FuzzSupport.checkFormatError(e, Llama2cFormatException.class, data.length);
        }
    }

    /** tokenizer.bin read for the tiny model's vocabulary size, then used. */
    @FuzzTest(maxDuration = "2m")
    void tokenizer(byte[] data) {
        FuzzSupport.bounded(() -> tokenizerOnce(data));
    }

    private static void tokenizerOnce(byte[] data) throws IOException {
        FuzzSupport.readTokenizer("tok/tokenizer.bin", data, file -> Llama2cTokenizerReader.read(file,
                TinyModelFiles.VOCAB), "Once upon a time, ab \u00e9\u4e2d\ud83d\ude00 <s>\n");
    }
}

package dev.hyperattention4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hyperattention4j.llm.tokenizer.BpeTokenizer;
import dev.hyperattention4j.llm.tokenizer.HfTokenizerJson;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ha4j train-tokenizer}: the file it writes loads and round-trips; a model trains with it. */
class TrainTokenizerCommandTest {
    @Test
    void writesALoadableTokenizerThatTrainUses(@TempDir Path dir) throws Exception {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < 60; i++) {
            b.append("The cat sat on the mat. The dog sat on the log, number ").append(i).append(".\n");
        }
        Path text = Files.writeString(dir.resolve("t.txt"), b.toString());
        Path tj = dir.resolve("tok/tokenizer.json");
        CliRun r = CliRun.of("train-tokenizer", text.toString(), "-o", tj.toString(), "--vocab", "280");
        assertThat(r.exit()).as(r.err()).isZero();
        BpeTokenizer tok = HfTokenizerJson.read(tj, 278, 279, 280);
        assertThat(tok.vocabSize()).isEqualTo(280);
        String s = "The cat sat on the log. Ünïcode ✓";
        assertThat(tok.decode(tok.encode(s, false))).isEqualTo(s);
        assertThat(tok.encode("The cat sat on the mat.", false).length).isLessThan(12);
        CliRun train = CliRun.of("train", text.toString(), "-o", dir.resolve("run").toString(), "--tokenizer",
                tj.toString(), "--dim", "16", "--layers", "1", "--heads", "2", "--ffn", "16", "-c", "16",
                "--steps", "2", "-q");
        assertThat(train.exit()).as(train.err()).isZero();
        assertThat(dir.resolve("run/checkpoint-2/tokenizer.json")).exists();
        try (var m = dev.hyperattention4j.llm.model.ModelLoader.open(dir.resolve("run/checkpoint-2"))) {
            assertThat(m.config().vocabSize()).isEqualTo(280);
            assertThat(m.config().bosId()).isEqualTo(278);
            assertThat(m.config().eosId()).isEqualTo(279);
        }
        CliRun bad = CliRun.of("train-tokenizer", text.toString(), "-o", tj.toString(), "--vocab", "100");
        assertThat(bad.exit()).isEqualTo(2);
        assertThat(bad.err().strip()).startsWith("error:").contains("--vocab").doesNotContain("\n");
    }
}

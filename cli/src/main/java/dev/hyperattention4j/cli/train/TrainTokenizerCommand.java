package dev.hyperattention4j.cli.train;

import dev.hyperattention4j.cli.Range;
import dev.hyperattention4j.cli.TextFile;
import dev.hyperattention4j.llm.format.io.Json;
import dev.hyperattention4j.llm.tokenizer.BpeTrainer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code ha4j train-tokenizer}: a byte-level BPE vocabulary learned from text files, written as tokenizer.json. */
@Command(name = "train-tokenizer", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Learns a byte-level BPE tokenizer (GPT-2's scheme: its pre-tokenizer regex, one symbol per "
                + "UTF-8 byte, the most frequent pair merged until the vocabulary is full) from UTF-8 text files and "
                + "writes it as a Hugging Face tokenizer.json: 256 byte tokens, the merges, then <|bos|> and "
                + "<|eos|>. Every text round-trips; ha4j train --tokenizer uses it."})
public final class TrainTokenizerCommand implements Callable<Integer> {
    @Parameters(paramLabel = "TEXT", arity = "1..*", description = "UTF-8 text files.")
    List<Path> texts;

    @Option(names = {"-o", "--out"}, required = true, paramLabel = "FILE", description = "The tokenizer.json to write.")
    Path out;

    @Range(min = BpeTrainer.MIN_VOCAB, max = 1 << 20)
    @Option(names = "--vocab", paramLabel = "V", description = "Vocabulary size, the two special tokens included "
            + "(default: ${DEFAULT-VALUE}; fewer when the text has no more pairs that occur twice).")
    int vocab = 4096;

    @Override
    public Integer call() throws Exception {
        List<String> all = new ArrayList<>();
        for (Path t : texts) {
            all.add(TextFile.read(t, "TEXT"));
        }
        long t0 = System.nanoTime();
        BpeTrainer.Result r = BpeTrainer.train(all, vocab);
        Path parent = out.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        Path tmp = parent.resolve(out.getFileName() + ".partial");
        Json.MAPPER.writeValue(tmp.toFile(), BpeTrainer.toJson(r));
        Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        System.err.printf("%s: %d tokens (%d merges; <|bos|> = %d, <|eos|> = %d) from %,d distinct pieces in %.1f s%n",
                out, r.vocabSize(), r.merges().size(), r.bosId(), r.eosId(), r.pieces().size(),
                (System.nanoTime() - t0) / 1e9);
        return 0;
    }
}

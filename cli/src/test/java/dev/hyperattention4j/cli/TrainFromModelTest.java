package dev.hyperattention4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hyperattention4j.attention.FlashAttention;
import dev.hyperattention4j.llm.format.io.Json;
import dev.hyperattention4j.llm.model.Model;
import dev.hyperattention4j.llm.model.ModelLoader;
import dev.hyperattention4j.llm.runtime.AttentionPlan;
import dev.hyperattention4j.llm.runtime.LlamaModel;
import dev.hyperattention4j.llm.runtime.LlamaSession;
import dev.hyperattention4j.llm.runtime.Perplexity;
import dev.hyperattention4j.llm.testing.SharedData;
import dev.hyperattention4j.runtime.WorkerPool;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ha4j train --from} a llama2.c checkpoint and GGUF files (quantized, SentencePiece-style and byte-level
 * vocabularies): three steps on a text lower the runtime's loss on that text, and the checkpoint loads as a Hugging
 * Face model. Formats and architectures a checkpoint cannot hold are one-line errors.
 */
class TrainFromModelTest {
    private static final int EVAL_TOKENS = 128;

    @Test
    void fineTunesALlama2cCheckpoint(@TempDir Path dir) throws Exception {
        Path text = Files.writeString(dir.resolve("story.txt"),
                Files.readString(SharedData.require("texts/tinystories_sample.txt")).substring(0, 1500));
        fineTune(SharedData.stories260k(), text, dir, "1e-3");
    }

    @Test
    void fineTunesQuantizedGgufFilesOfBothVocabularyKinds(@TempDir Path dir) throws Exception {
        for (String golden : List.of("llama-kq", "qwen2")) {
            Path folder = SharedData.require("goldens/" + golden);
            fineTune(folder.resolve("model-Q4_K_M.gguf"), folder.resolve("text.txt"), dir.resolve(golden), "1e-2");
        }
    }

    @Test
    void fineTunesTheSharedHuggingFaceModelQuantizedToGguf(@TempDir Path dir) throws Exception {
        Path gguf = dir.resolve("656k-q8_0.gguf");
        CliRun q = CliRun.of("quantize", SharedData.tinystories656k().toString(), gguf.toString(), "--type", "q8_0");
        assertThat(q.exit()).as(q.err()).isZero();
        Path text = Files.writeString(dir.resolve("story.txt"),
                Files.readString(SharedData.require("texts/tinystories_sample.txt")).substring(0, 1500));
        fineTune(gguf, text, dir.resolve("ft"), "1e-3");
    }

    @Test
    void whatACheckpointCannotHoldIsAOneLineError(@TempDir Path dir) throws Exception {
        Path text = Files.writeString(dir.resolve("t.txt"), "some text ".repeat(50));
        CliRun phi = CliRun.of("train", text.toString(), "-o", dir.resolve("a").toString(), "--from",
                SharedData.require("goldens/phi2/model-F32.gguf").toString(), "-c", "16", "--steps", "1", "-q");
        assertThat(phi.exit()).isNotZero();
        assertThat(phi.err().strip()).contains("LayerNorm").doesNotContain("\n").doesNotContain("Exception");
        CliRun tok = CliRun.of("train", text.toString(), "-o", dir.resolve("b").toString(), "--from",
                SharedData.require("goldens/llama-kq/model-Q8_0.gguf").toString(), "--tokenizer",
                text.toString(), "-c", "16", "--steps", "1", "-q");
        assertThat(tok.exit()).isNotZero();
        assertThat(tok.err().strip()).contains("--tokenizer").contains("llama2.c").doesNotContain("\n");
    }

    /** Three steps from {@code model} on {@code text}; the runtime's loss on the text's start falls. */
    private static void fineTune(Path model, Path text, Path out, String lr) throws Exception {
        CliRun run = CliRun.of("train", text.toString(), "-o", out.toString(), "--from", model.toString(), "-c", "64",
                "--steps", "3", "--batch", "2", "--lr", lr, "--warmup", "0", "--min-lr", "0", "--val-fraction", "0",
                "-t", "2", "-q");
        assertThat(run.exit()).as(run.err()).isZero();
        Path ckpt = out.resolve("checkpoint-3");
        JsonNode curve = Json.MAPPER.readTree(out.resolve("loss.json").toFile());
        assertThat(curve.get("train")).hasSize(3);
        double before, after;
        int[] tokens;
        try (Model src = ModelLoader.open(model)) {
            tokens = src.tokenizer().encode(Files.readString(text), true);
            tokens = Arrays.copyOf(tokens, Math.min(tokens.length, EVAL_TOKENS));
            before = meanNll(LlamaModel.of(src), tokens);
        }
        try (Model tuned = ModelLoader.open(ckpt)) {
            assertThat(tuned.config().format()).isEqualTo("safetensors");
            assertThat(tuned.tokenizer().encode(Files.readString(text), true)).startsWith(tokens);
            after = meanNll(LlamaModel.of(tuned), tokens);
        }
        System.out.printf("%s: mean NLL on its text %.4f -> %.4f after 3 steps%n", model.getFileName(), before, after);
        assertThat(after).as(model + ": loss after fine-tuning").isLessThan(before);
    }

    private static double meanNll(LlamaModel m, int[] tokens) {
        WorkerPool pool = WorkerPool.shared();
        LlamaSession s = m.newSession(tokens.length, AttentionPlan.exact(new FlashAttention(pool)), pool);
        return Perplexity.sequences(s, List.of(tokens), "all", null).meanNll();
    }
}

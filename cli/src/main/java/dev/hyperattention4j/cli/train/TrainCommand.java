package dev.hyperattention4j.cli.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hyperattention4j.attention.hyper.HyperConfig;
import dev.hyperattention4j.cli.AnyValue;
import dev.hyperattention4j.cli.HyperAttentionOptions;
import dev.hyperattention4j.cli.Progress;
import dev.hyperattention4j.cli.Range;
import dev.hyperattention4j.cli.TextFile;
import dev.hyperattention4j.llm.format.io.Json;
import dev.hyperattention4j.llm.format.safetensors.HfConfig;
import dev.hyperattention4j.llm.format.safetensors.HfConfigWriter;
import dev.hyperattention4j.llm.model.ModelConfig;
import dev.hyperattention4j.llm.runtime.LlamaModel;
import dev.hyperattention4j.llm.tokenizer.ByteTokenizerJson;
import dev.hyperattention4j.llm.tokenizer.HfTokenizerJson;
import dev.hyperattention4j.llm.tokenizer.Tokenizer;
import dev.hyperattention4j.llm.train.AdamW;
import dev.hyperattention4j.llm.train.Checkpoint;
import dev.hyperattention4j.llm.train.FineTuneSource;
import dev.hyperattention4j.llm.train.LlamaBackprop;
import dev.hyperattention4j.llm.train.LlamaParameters;
import dev.hyperattention4j.llm.train.StepProfile;
import dev.hyperattention4j.llm.train.Trainer;
import dev.hyperattention4j.llm.train.TrainingAttention;
import dev.hyperattention4j.llm.train.TrainingSettings;
import dev.hyperattention4j.llm.train.TrainingWindows;
import dev.hyperattention4j.runtime.HeapBudget;
import dev.hyperattention4j.runtime.WorkerPool;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code ha4j train}: trains a Llama-family model from scratch or fine-tunes one, on UTF-8 text files. */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Trains a Llama-family model on UTF-8 text files: from scratch (shape options or --config), "
                + "from an existing model (--from, fine-tuning: Hugging Face, GGUF or llama2.c) or from a checkpoint "
                + "(--resume).",
                "Each optimizer step averages the gradients of --batch windows of --context tokens drawn at seeded "
                        + "random offsets of the training text, clips their global norm and applies AdamW with "
                        + "linear warm-up and cosine decay. A run is bit-identical for any thread count, and a resumed "
                        + "run repeats an uninterrupted one.",
                "Writes OUT/checkpoint-STEP/ (model.safetensors, config.json, tokenizer.json: a Hugging Face model "
                        + "that ha4j and other tools load; plus optimizer.safetensors and trainer_state.json for "
                        + "--resume), OUT/loss.json and OUT/loss.png. Ctrl-C finishes the current step, saves a "
                        + "checkpoint and stops."})
public final class TrainCommand implements Callable<Integer> {
    @Parameters(paramLabel = "TEXT", arity = "1..*", description = "UTF-8 training text files.")
    List<Path> texts;

    @Option(names = {"-o", "--out"}, required = true, paramLabel = "DIR",
            description = "Output directory for checkpoints and the loss curve.")
    Path out;

    @Option(names = "--from", paramLabel = "MODEL", description = "Fine-tune this Llama-family model: a Hugging "
            + "Face directory (config.json, tokenizer.json, safetensors), a GGUF file of any tensor type (dequantized "
            + "to float32) or a llama2.c checkpoint (tokenizer.bin or tok*.bin beside it, or --tokenizer). The "
            + "checkpoints are Hugging Face models: Q/K rows in rotate-half order, the vocabulary as tokenizer.json.")
    Path from;

    @Option(names = "--config", paramLabel = "FILE", description = "A new model shaped by this config.json "
            + "(instead of the shape options).")
    Path configFile;

    @Option(names = "--resume", paramLabel = "CHECKPOINT", description = "Continue from a checkpoint directory "
            + "written by ha4j train (same settings and texts).")
    Path resume;

    @Option(names = "--tokenizer", paramLabel = "FILE", description = "tokenizer.json for a new model (default: "
            + "bytes, 256 tokens plus BOS and EOS); with --from a llama2.c checkpoint, its tokenizer.bin.")
    Path tokenizerFile;

    @Mixin
    ModelShapeOptions shape = new ModelShapeOptions();

    @Option(names = "--rope-scaling", paramLabel = "SPEC", description = {"RoPE scaling of the trained model, "
            + "written into its config.json (context extension: fine-tune --from a model at a longer --context): "
            + "none, linear:F, dynamic:F:ORIG, yarn:F:ORIG[:BETA_FAST:BETA_SLOW] or llama3:F:ORIG[:LOW:HIGH], with F "
            + "the extension factor and ORIG the context the model was trained on. Replaces the source model's "
            + "scaling (default: keep it; none for a new model)."})
    String ropeScaling;

    @Range(min = 2, max = 1 << 20)
    @Option(names = {"-c", "--context"}, paramLabel = "N", description = "Tokens per training window "
            + "(default: ${DEFAULT-VALUE}).")
    int context = 256;

    @Range(min = 1, max = 100_000_000)
    @Option(names = "--steps", paramLabel = "S", description = "Optimizer steps of the whole run "
            + "(default: ${DEFAULT-VALUE}).")
    int steps = 1000;

    @Range(min = 1, max = 1 << 16)
    @Option(names = "--batch", paramLabel = "B", description = "Windows per optimizer step, their gradients "
            + "accumulated (default: ${DEFAULT-VALUE}).")
    int batch = 1;

    @Mixin
    OptimizerOptions optimizer = new OptimizerOptions();

    @AnyValue
    @Option(names = "--seed", paramLabel = "S", description = "Seed of the initial weights, the windows and "
            + "HyperAttention (default: ${DEFAULT-VALUE}).")
    long seed = 1;

    @Range(min = 0, max = 1)
    @Option(names = "--repeat-fraction", paramLabel = "P", description = {"Share of the training windows that end "
            + "with a copy of an earlier span of the same window (span of n/64 to n/2 tokens, at a random distance; "
            + "default: ${DEFAULT-VALUE}, natural text only).",
            "Repeated text rewards looking back to where the current context occurred before (induction), which a "
                    + "small model otherwise learns late; use it to make a model use a long context. Validation "
                    + "stays on natural text."})
    double repeatFraction = 0;

    @Option(names = "--repeat-source", paramLabel = "KIND", description = "What --repeat-fraction's windows repeat: "
            + "window (one span of the window's own text, copied to its end) or random (n/512 spans of 16 to 128 "
            + "random tokens, each written twice: the pure copying task, learnt much sooner; default: "
            + "${DEFAULT-VALUE}).")
    String repeatSource = "window";

    @Option(names = "--validation", paramLabel = "FILE", description = "Held-out text (default: the last "
            + "--val-fraction of the training tokens).")
    Path validationFile;

    @Range(min = 0, max = 0.5)
    @Option(names = "--val-fraction", paramLabel = "F", description = "Share of the training tokens held out for "
            + "validation when there is no --validation (default: ${DEFAULT-VALUE}; 0 = none).")
    double valFraction = 0.1;

    @Range(min = 0, max = 100_000_000, note = "0 = only at the end")
    @Option(names = "--eval-every", paramLabel = "S", description = "Validation loss every S steps and at the end "
            + "(default: ${DEFAULT-VALUE}).")
    int evalEvery = 100;

    @Range(min = 0, max = 1 << 20, note = "0 = all")
    @Option(names = "--eval-windows", paramLabel = "K", description = "Validation windows per evaluation "
            + "(0 = all; default: ${DEFAULT-VALUE}).")
    int evalWindows = 8;

    @Range(min = 0, max = 100_000_000, note = "0 = only at the end")
    @Option(names = "--save-every", paramLabel = "S", description = "Checkpoint every S steps (default: "
            + "${DEFAULT-VALUE}: at the end and on Ctrl-C).")
    int saveEvery = 0;

    @Range(min = 0, max = 100_000_000, note = "0 = no limit")
    @Option(names = "--stop-after", paramLabel = "S", description = "Take at most S steps in this invocation, then "
            + "save and stop (resume later with --resume; default: ${DEFAULT-VALUE}).")
    int stopAfter = 0;

    @Range(min = 0, max = 1024)
    @Option(names = "--patch-last", paramLabel = "L", description = "Train the last L layers with HyperAttention "
            + "(default: ${DEFAULT-VALUE}).")
    int patchLast = 0;

    @Mixin
    HyperAttentionOptions hyper;

    @Mixin
    ThreadsOption threadsOption = new ThreadsOption();

    @Option(names = {"-q", "--quiet"}, description = "No progress bar or progress lines.")
    boolean quiet;

    @Option(names = "--peak", description = "Measure the FP32 FMA peak of --threads threads first (about 2 s) and "
            + "report the model flops as a share of it.")
    boolean peak;

    @Option(names = "--profile", description = "At the end, print where the steps' time went (weight panels, linear "
            + "products, attention, output head, element-wise, optimizer), the first step (JIT warm-up) excluded.")
    boolean profile;

    /** The model, its tokenizer (as a JSON tree for the checkpoints and loaded for tokenising) and where it came from. */
    private record Start(LlamaParameters params, AdamW optimizer, long step, JsonNode tokenizerJson, Tokenizer tokenizer,
                         JsonNode state) {
    }

    @Override
    public Integer call() throws Exception {
        checkOptions();
        AdamW.Settings adam = optimizer.adam();
        List<String> trainTexts = new ArrayList<>();
        for (Path t : texts) {
            trainTexts.add(TextFile.read(t, "TEXT"));
        }
        String validationText = validationFile == null ? null : TextFile.read(validationFile, "--validation");
        Start start = start(adam);
        ModelConfig c = start.params().config();
        if (patchLast > c.layers()) {
            throw new IllegalArgumentException("--patch-last " + patchLast + " is more than the model's " + c.layers()
                    + " layers");
        }
        HeapBudget.require(LlamaBackprop.activationBytes(c, context) + 20L * start.params().count(),
                "training a " + start.params().count() + "-parameter model on " + context + "-token windows",
                "lower --context or the model size");
        int[][] data = tokens(start.tokenizer(), trainTexts, validationText);
        int[] train = data[0], validation = data[1];
        if (train.length < context + 1) {
            throw new IllegalArgumentException("the training text has " + train.length + " tokens (after holding out "
                    + validation.length + " for validation); --context " + context + " needs at least "
                    + (context + 1));
        }
        TrainingAttention attention = patchLast == 0 ? TrainingAttention.exact()
                : new TrainingAttention(patchLast, hyper.config(HyperConfig.DEFAULT_SEED ^ seed, 0));
        TrainingSettings settings = new TrainingSettings(context, batch, steps, optimizer.schedule(steps), adam,
                optimizer.clip, seed, attention, repeatFraction, repeatSource());
        ObjectNode recorded = settingsJson(settings, c, train.length, validation.length);
        if (start.state() != null) {
            checkResumable(start.state().get("settings"), recorded);
        }
        LossCurve curve = start.state() != null ? LossCurve.from(start.state()) : new LossCurve();
        try (WorkerPool pool = new WorkerPool(threadsOption.threads)) {
            LlamaModel.awaitKernelWarmup();
            Trainer trainer = new Trainer(start.params(), start.optimizer(), settings, train, start.step(), pool);
            return loop(trainer, start, settings, recorded, curve, validation, pool);
        }
    }

    private TrainingWindows.Source repeatSource() {
        return switch (repeatSource) {
            case "window" -> TrainingWindows.Source.WINDOW;
            case "random" -> TrainingWindows.Source.RANDOM;
            default -> throw new IllegalArgumentException("--repeat-source must be window or random, got '"
                    + repeatSource + "'");
        };
    }

    /** The checks of options against each other that need no file: before any work, one line each. */
    private void checkOptions() {
        repeatSource();
        int sources = (from != null ? 1 : 0) + (configFile != null ? 1 : 0) + (resume != null ? 1 : 0);
        if (sources > 1) {
            throw new IllegalArgumentException("--from, --config and --resume are alternatives; give at most one");
        }
        if (ropeScaling != null) {
            RopeScalingSpec.parse(ropeScaling);
        }
        optimizer.check();
        if (patchLast > 0 && hyper.minSeqLen != null && hyper.minSeqLen >= context) {
            System.err.println("note: --hyper-min-seq-len " + hyper.minSeqLen + " >= --context " + context
                    + ": the HyperAttention layers compute exact attention");
        }
    }

    private Start start(AdamW.Settings adam) throws IOException {
        if (resume != null) {
            Checkpoint.Loaded l = Checkpoint.load(resume, adam);
            JsonNode tj = Json.MAPPER.readTree(resume.resolve(Checkpoint.TOKENIZER).toFile());
            ModelConfig c = l.parameters().config();
            if (ropeScaling != null && !RopeScalingSpec.parse(ropeScaling).equals(c.ropeScaling())) {
                throw new IllegalArgumentException("--rope-scaling " + ropeScaling + " differs from the checkpoint's "
                        + "RoPE scaling (" + c.ropeScaling().describe() + "); a resumed run keeps the model's");
            }
            Tokenizer tok = HfTokenizerJson.read(resume.resolve(Checkpoint.TOKENIZER), c.bosId(), c.eosId(),
                    c.vocabSize());
            return new Start(l.parameters(), l.optimizer(), l.step(), tj, tok, l.state());
        }
        if (from != null) {
            FineTuneSource src = FineTuneSource.open(from, tokenizerFile, this::withRopeScaling);
            LlamaParameters p = src.parameters();
            return new Start(p, new AdamW(adam, p), 0, src.tokenizerJson(), src.tokenizer(), null);
        }
        JsonNode tj;
        Tokenizer tok;
        if (tokenizerFile != null) {
            tj = Json.MAPPER.readTree(tokenizerFile.toFile());
            tok = HfTokenizerJson.read(tokenizerFile, special(tj, BOS_NAMES), special(tj, EOS_NAMES), 0);
        } else {
            tj = ByteTokenizerJson.create();
            Path tmp = Files.createTempFile("ha4j-tokenizer", ".json");
            try {
                Json.MAPPER.writeValue(tmp.toFile(), tj);
                tok = HfTokenizerJson.read(tmp, ByteTokenizerJson.BOS, ByteTokenizerJson.EOS, 0);
            } finally {
                Files.deleteIfExists(tmp);
            }
        }
        ModelConfig c;
        if (configFile != null) {
            c = HfConfig.read(configFile, false).config();
            if (c.vocabSize() < tok.vocabSize()) {
                throw new IllegalArgumentException("--config " + configFile + ": vocab_size " + c.vocabSize()
                        + " is smaller than the tokenizer's " + tok.vocabSize() + " tokens");
            }
            if (c.bosId() < 0 || c.eosId() < 0) {
                c = c.withSpecialIds(c.bosId() >= 0 ? c.bosId() : tok.bosId(), c.eosId() >= 0 ? c.eosId() : tok.eosId());
            }
        } else {
            c = shape.config(context, tok.vocabSize(), tok.bosId(), tok.eosId());
        }
        c = withRopeScaling(c);
        HfConfigWriter.toJson(c, "float32");
        LlamaParameters p = LlamaParameters.initialise(c, seed);
        return new Start(p, new AdamW(adam, p), 0, tj, tok, null);
    }

    /** {@code c} with the scaling of --rope-scaling (when given) and a context length covering --context. */
    private ModelConfig withRopeScaling(ModelConfig c) {
        return ropeScaling == null ? c : RopeScalingSpec.apply(c, RopeScalingSpec.parse(ropeScaling), context);
    }

    private static final java.util.Set<String> BOS_NAMES = java.util.Set.of("<|bos|>", "<s>", "<|begin_of_text|>",
            "<|startoftext|>"), EOS_NAMES = java.util.Set.of("<|eos|>", "</s>", "<|end_of_text|>", "<|endoftext|>");

    /** The id of the first added token of tokenizer.json named one of {@code names}, or -1. */
    private static int special(JsonNode tokenizerJson, java.util.Set<String> names) {
        for (JsonNode a : tokenizerJson.path("added_tokens")) {
            if (names.contains(a.path("content").asText()) && a.path("id").canConvertToInt()) {
                return a.path("id").asInt();
            }
        }
        return -1;
    }

    /**
     * The training and validation token streams: each text is BOS (when the tokenizer has one) and its tokens, the
     * texts concatenated in order; without --validation the last --val-fraction of the stream is held out.
     */
    private int[][] tokens(Tokenizer tok, List<String> trainTexts, String validationText) {
        int[] all = concat(tok, trainTexts);
        if (validationText != null) {
            return new int[][] {all, concat(tok, List.of(validationText))};
        }
        int held = (int) Math.floor(all.length * valFraction);
        return new int[][] {java.util.Arrays.copyOf(all, all.length - held),
                java.util.Arrays.copyOfRange(all, all.length - held, all.length)};
    }

    private static int[] concat(Tokenizer tok, List<String> texts) {
        List<int[]> parts = new ArrayList<>();
        long n = 0;
        for (String t : texts) {
            int[] ids = tok.encode(t, tok.bosId() >= 0);
            parts.add(ids);
            n += ids.length;
        }
        int[] all = new int[Math.toIntExact(n)];
        int at = 0;
        for (int[] p : parts) {
            System.arraycopy(p, 0, all, at, p.length);
            at += p.length;
        }
        return all;
    }

    private ObjectNode settingsJson(TrainingSettings s, ModelConfig c, int trainTokens, int validationTokens) {
        ObjectNode n = Json.MAPPER.createObjectNode();
        n.put("context", s.context()).put("batch", s.microBatches()).put("steps", s.steps())
                .put("lr", s.learningRate().peak()).put("min_lr", s.learningRate().floor())
                .put("warmup", s.learningRate().warmup()).put("weight_decay", s.adam().weightDecay())
                .put("beta1", s.adam().beta1()).put("beta2", s.adam().beta2()).put("clip", s.clipNorm())
                .put("seed", s.seed()).put("attention", s.attention().describe())
                .put("patch_last", s.attention().patchLast()).put("train_tokens", trainTokens)
                .put("validation_tokens", validationTokens).put("parameters", LlamaParameters.zeros(c).count());
        if (s.repeatFraction() > 0) {
            n.put("repeat_fraction", s.repeatFraction());   // absent when 0: checkpoints of earlier runs resume
            if (s.repeatSource() != TrainingWindows.Source.WINDOW) {   // absent for the first kind, as above
                n.put("repeat_source", s.repeatSource().name().toLowerCase(java.util.Locale.ROOT));
            }
        }
        if (s.attention().patchLast() > 0) {
            HyperConfig h = s.attention().hyper();
            n.put("hyper_b", h.blockSize()).put("hyper_m", h.sampleSize()).put("hyper_r", h.numProjections())
                    .put("hyper_min_seq_len", h.minSeqLen()).put("hyper_seed", h.seed());
        }
        return n;
    }

    /** A resumed run repeats the interrupted one only with the same settings and data: any difference is refused. */
    private static void checkResumable(JsonNode stored, ObjectNode now) {
        if (stored == null || !stored.isObject()) {
            throw new IllegalArgumentException("--resume: the checkpoint's trainer_state.json has no settings");
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = now.properties().iterator(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode was = stored.get(e.getKey());
            if (was == null || !was.asText().equals(e.getValue().asText())) {
                throw new IllegalArgumentException("--resume: " + e.getKey() + " is " + e.getValue()
                        + " now but was " + was + " in the checkpoint; resume with the same options and texts");
            }
        }
    }

    private int loop(Trainer trainer, Start start, TrainingSettings settings, ObjectNode recorded, LossCurve curve,
                     int[] validation, WorkerPool pool) throws IOException, InterruptedException {
        ModelConfig c = trainer.parameters().config();
        PrintStream err = System.err;
        long params = trainer.parameters().count();
        double flopsPerToken = BenchTrainCommand.flopsPerToken(trainer.parameters(), c, context);
        if (!quiet) {
            err.printf("training %,d parameters (%d layers, dim %d, %d/%d heads, FFN %d, vocabulary %d), %s; %,d "
                            + "training and %,d validation tokens; %d threads%n", params, c.layers(), c.dim(),
                    c.heads(), c.kvHeads(), c.hiddenDim(), c.vocabSize(), settings.attention().describe(),
                    recorded.get("train_tokens").asLong(), recorded.get("validation_tokens").asLong(), threadsOption.threads);
        }
        double peakGflops = 0;
        if (peak) {
            peakGflops = dev.hyperattention4j.cli.bench.FmaPeak.measure(threadsOption.threads,
                    dev.hyperattention4j.cli.bench.BenchClock.WALL).allThreadsGflops();
            err.printf("FP32 FMA peak of %d threads: %.1f GFLOP/s%n", threadsOption.threads, peakGflops);
        }
        Stop stop = new Stop();
        Thread hook = new Thread(stop::requestAndWait, "ha4j-train-interrupt");
        Runtime.getRuntime().addShutdownHook(hook);
        long first = trainer.step();
        try (Progress progress = Progress.start("train", settings.steps(), first, quiet)) {
            long tokens = 0;
            long profiled = 0;
            long t0 = System.nanoTime();
            while (trainer.step() < settings.steps() && !stop.requested()
                    && (stopAfter == 0 || trainer.step() - first < stopAfter)) {
                long s0 = System.nanoTime();
                Trainer.Step s = trainer.next();
                double seconds = (System.nanoTime() - s0) / 1e9;
                if (s.step() == first + 1) {
                    trainer.profile().reset();   // the first step is mostly JIT warm-up
                } else {
                    profiled++;
                }
                tokens += s.tokens();
                curve.add(s, seconds);
                double tps = tokens / ((System.nanoTime() - t0) / 1e9);
                String msg = String.format("loss %.4f, %.0f tok/s", s.loss(), tps);
                boolean eval = s.step() == settings.steps() || evalEvery > 0 && s.step() % evalEvery == 0;
                if (eval && validation.length > context) {
                    double v = trainer.evaluate(validation, evalWindows);
                    curve.addValidation(s.step(), v);
                    msg += String.format(", validation %.4f", v);
                }
                progress.step(s.step(), msg);
                if (!quiet && !progressIsBar() && (eval || s.step() == first + 1)) {
                    double gflops = tps * flopsPerToken / 1e9;
                    err.printf("step %d/%d: %s, lr %.3g, gradient norm %.3g, %.2f model GFLOP/s%s%n", s.step(),
                            settings.steps(), msg, s.learningRate(), s.gradientNorm(), gflops,
                            peakGflops > 0 ? String.format(" (%.1f %% of FMA peak)", 100 * gflops / peakGflops) : "");
                }
                if (saveEvery > 0 && s.step() % saveEvery == 0 && s.step() < settings.steps()) {
                    save(trainer, start, recorded, curve);
                }
            }
            save(trainer, start, recorded, curve);
            if (profile) {
                printProfile(trainer.profile(), profiled, settings, flopsPerToken, peakGflops, err);
            }
            if (stop.requested()) {
                err.println("interrupted: saved " + checkpointDir(trainer.step()) + " (continue with --resume)");
            }
        } finally {
            stop.saved();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // Ctrl-C: the hook is running and waits for stop.saved()
            }
        }
        if (!quiet) {
            err.println("saved " + checkpointDir(trainer.step()));
        }
        return 0;
    }

    private static void printProfile(StepProfile p, long steps, TrainingSettings settings, double flopsPerToken,
                                     double peakGflops, PrintStream err) {
        if (steps == 0) {
            err.println("profile: no step after the first (warm-up) one; run at least 2 steps");
            return;
        }
        double total = p.totalSeconds();
        long tokens = steps * settings.context() * (long) settings.microBatches();
        err.printf("profile over %d steps (the first excluded): %.3f s per step, %.0f tok/s%s%n", steps, total / steps,
                tokens / total, peakGflops > 0 ? String.format(", %.1f %% of FMA peak",
                        100 * tokens * flopsPerToken / total / 1e9 / peakGflops) : "");
        BenchTrainCommand.printPhases(p, steps, err);
    }

    private static boolean progressIsBar() {
        java.io.Console console = System.console();
        return console != null && console.isTerminal();
    }

    private Path checkpointDir(long step) {
        return out.resolve("checkpoint-" + step);
    }

    private void save(Trainer trainer, Start start, ObjectNode recorded, LossCurve curve) throws IOException {
        ObjectNode state = Json.MAPPER.createObjectNode();
        state.set("settings", recorded);
        state.set("history", curve.json());
        Checkpoint.save(checkpointDir(trainer.step()), trainer.parameters(), trainer.optimizer(), trainer.step(),
                start.tokenizerJson(), state);
        curve.write(out, "training loss");
    }

    /** Ctrl-C: the shutdown hook asks the loop to stop and waits (bounded) until the checkpoint is written. */
    private static final class Stop {
        private volatile boolean requested;
        private final CountDownLatch saved = new CountDownLatch(1);

        boolean requested() {
            return requested;
        }

        void requestAndWait() {
            requested = true;
            try {
                saved.await(10, TimeUnit.MINUTES);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        void saved() {
            saved.countDown();
        }
    }
}

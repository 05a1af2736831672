package dev.hyperattention4j.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code ha4j} program: one entry point, one subcommand per job. */
@Command(name = "ha4j", mixinStandardHelpOptions = true, version = "hyperattention4j 0.1.0",
        description = "HyperAttention and exact attention on CPUs: benchmarks, model tools, paper experiments.",
        subcommands = {
                CommandLine.HelpCommand.class,
                InspectCommand.class,
                dev.hyperattention4j.cli.bench.BenchCommand.class,
                BenchHyperCommand.class,
                PplCommand.class,
                GenerateCommand.class,
                ServeCommand.class,
                BenchModelCommand.class,
                QuantizeCommand.class,
                BenchBackwardCommand.class,
                dev.hyperattention4j.cli.experiment.ExperimentCommand.class,
                dev.hyperattention4j.cli.experiment.ReportCommand.class,
                dev.hyperattention4j.cli.train.TrainCommand.class,
                dev.hyperattention4j.cli.train.TrainTokenizerCommand.class,
        })
public final class Main implements Runnable {
    /**
     * The subcommands by name, for {@link #commandLine(String...)}: picocli builds the model of every registered
     * command by reflection (about 0.13 s of CPU at start-up for all of them), so a run of one subcommand
     * registers only that one under {@link Single}. Must list the annotation's subcommands (tested).
     */
    private static final java.util.Map<String, java.util.function.Supplier<Object>> SUBCOMMANDS =
            new java.util.LinkedHashMap<>();

    static {
        SUBCOMMANDS.put("inspect", InspectCommand::new);
        SUBCOMMANDS.put("bench", dev.hyperattention4j.cli.bench.BenchCommand::new);
        SUBCOMMANDS.put("bench-hyper", BenchHyperCommand::new);
        SUBCOMMANDS.put("ppl", PplCommand::new);
        SUBCOMMANDS.put("generate", GenerateCommand::new);
        SUBCOMMANDS.put("serve", ServeCommand::new);
        SUBCOMMANDS.put("bench-model", BenchModelCommand::new);
        SUBCOMMANDS.put("quantize", QuantizeCommand::new);
        SUBCOMMANDS.put("bench-backward", BenchBackwardCommand::new);
        SUBCOMMANDS.put("experiment", dev.hyperattention4j.cli.experiment.ExperimentCommand::new);
        SUBCOMMANDS.put("report", dev.hyperattention4j.cli.experiment.ReportCommand::new);
        SUBCOMMANDS.put("train", dev.hyperattention4j.cli.train.TrainCommand::new);
        SUBCOMMANDS.put("train-tokenizer", dev.hyperattention4j.cli.train.TrainTokenizerCommand::new);
    }

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }

    /** The former names of the benchmark modes, kept as aliases for one release. */
    static final java.util.Map<String, String> RENAMED = java.util.Map.of(
            "bench-hyper", "bench hyper", "bench-backward", "bench backward", "bench-model", "bench model");

    public static void main(String[] args) {
        if (runsExactAttention(args)) {
            // compile the attention kernels while picocli starts and the command builds its inputs
            dev.hyperattention4j.kernel.FlashWarmup.start();
        } else if (runsModel(args)) {
            // the Vector API's initialisation while picocli starts and the model file is parsed
            dev.hyperattention4j.llm.runtime.LlamaModel.startKernelWarmup();
        }
        if (args.length > 0 && RENAMED.containsKey(args[0])) {
            System.err.println("note: 'ha4j " + args[0] + "' is now 'ha4j " + RENAMED.get(args[0])
                    + "'; the old name goes away in the next release");
        }
        int code;
        try {
            code = commandLine(args).execute(args);
        } catch (OutOfMemoryError e) {
            // a size that no HeapBudget check foresaw: still one line, with what to change
            System.err.println(outOfMemory(Runtime.getRuntime().maxMemory()));
            code = 1;
        }
        System.exit(code);
    }

    /** The one line for an OutOfMemoryError that reached the command line. */
    static String outOfMemory(long maxHeap) {
        return "error: the Java heap (maximum " + dev.hyperattention4j.runtime.HeapBudget.size(maxHeap) + ") ran out; "
                + "lower the context or the model size, or raise the heap (e.g. HA4J_JVM_OPTS=-Xmx8g)";
    }

    /**
     * Whether the command times or runs the exact attention kernel early enough that its warm-up should start at
     * once: the attention benchmarks and experiments (the model commands have their own warm-up, which defers its
     * work until the first prompt is done; see KernelWarmup).
     */
    static boolean runsExactAttention(String... args) {
        java.util.List<String> list = java.util.Arrays.asList(args);
        if (args.length == 0 || list.contains("--help") || list.contains("-h")) {
            return false;
        }
        return switch (args[0]) {
            case "bench" -> args.length < 2 || !args[1].equals("model");
            case "bench-hyper", "bench-backward", "experiment" -> true;
            default -> false;
        };
    }

    /** Whether the command runs a model's forward pass (its kernels warm up in the background: KernelWarmup). */
    static boolean runsModel(String... args) {
        java.util.List<String> list = java.util.Arrays.asList(args);
        if (args.length == 0 || list.contains("--help") || list.contains("-h")) {
            return false;
        }
        return switch (args[0]) {
            case "generate", "serve", "ppl", "bench-model" -> true;
            case "bench" -> args.length > 1 && args[1].equals("model");
            default -> false;
        };
    }

    /** The configured command line with every subcommand (tests, help). */
    static CommandLine commandLine() {
        return configure(new CommandLine(new Main()));
    }

    /**
     * The command line for these arguments: when the first names a subcommand other than help, only that one is
     * registered (start-up time); otherwise all of them, for the overview and "did you mean" messages.
     */
    static CommandLine commandLine(String... args) {
        String first = args.length > 0 ? args[0] : "";
        CommandLine cl;
        if (!first.equals("help") && SUBCOMMANDS.containsKey(first)) {
            cl = new CommandLine(new Single());
            // as a CommandLine of its own, so that its model transformer (bench's modes) runs
            cl.addSubcommand(first, new CommandLine(SUBCOMMANDS.get(first).get()));
        } else {
            cl = new CommandLine(new Main());
        }
        return configure(cl);
    }

    /**
     * Failures as one line ({@link #reportFailure}); every option's {@link Range} checked before the command runs,
     * a violation being one line too ({@link OptionRanges}).
     */
    private static CommandLine configure(CommandLine cl) {
        CommandLine.IParameterExceptionHandler usage = cl.getParameterExceptionHandler();
        return cl.setExecutionExceptionHandler(Main::reportFailure).setExecutionStrategy(OptionRanges::execute)
                .setParameterExceptionHandler((e, args) -> OptionRanges.handle(e, args, usage));
    }

    /** The program's root with one subcommand registered by {@link #commandLine(String...)}. */
    @Command(name = "ha4j", mixinStandardHelpOptions = true, version = "hyperattention4j 0.1.0")
    static final class Single implements Runnable {
        @Override
        public void run() {
            new CommandLine(new Main()).usage(System.out);
        }
    }

    /** Names of the subcommands {@link #commandLine(String...)} can register alone. */
    static java.util.Set<String> singleSubcommands() {
        return SUBCOMMANDS.keySet();
    }

    /**
     * A runtime failure (missing file, bad model, invalid value) is one line on stderr and exit code 1; the stack
     * trace only with {@code -Dha4j.debug=true}.
     */
    static int reportFailure(Exception e, CommandLine cl, CommandLine.ParseResult parsed) {
        if (Boolean.getBoolean("ha4j.debug")) {
            e.printStackTrace();
        }
        String msg = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        String kind = e instanceof java.nio.file.NoSuchFileException ? "no such file: " : "";
        // one line whatever the message holds (file names and values may carry newlines or control characters)
        cl.getErr().println("error: " + kind + dev.hyperattention4j.llm.format.io.Printable.escape(msg));
        return 1;
    }
}

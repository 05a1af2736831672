package dev.hyperattention4j.cli;

import java.lang.reflect.AnnotatedElement;
import java.util.Collection;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.ParseResult;

/**
 * Checks every {@link Range}-annotated option of the command about to run, after parsing and before any work, so a
 * value that makes no sense ({@code --chunks -1}, {@code --dims 100000000}) is one line naming the option, the value
 * and the accepted range, with picocli's usage-error exit code 2, instead of an overflow or an OutOfMemoryError after
 * seconds of warm-up. Installed as the execution strategy of every command line {@link Main} builds.
 */
public final class OptionRanges {
    private OptionRanges() {
    }

    /** A value outside its option's range. */
    public static final class OutOfRange extends CommandLine.ParameterException {
        private static final long serialVersionUID = 1L;

        OutOfRange(CommandLine cl, String message) {
            super(cl, message);
        }
    }

    /** Checks the options of the innermost subcommand, then runs it as picocli's default strategy does. */
    static int execute(ParseResult parsed) {
        ParseResult last = parsed;
        while (last.hasSubcommand()) {
            last = last.subcommand();
        }
        for (ArgSpec arg : last.commandSpec().args()) {
            check(last.commandSpec().commandLine(), arg);
        }
        return new CommandLine.RunLast().execute(parsed);
    }

    /** One line on stderr for a range error (exit code 2); picocli's usual handling for every other usage error. */
    static int handle(CommandLine.ParameterException e, String[] args, CommandLine.IParameterExceptionHandler other)
            throws Exception {
        if (e instanceof OutOfRange) {
            e.getCommandLine().getErr().println("error: " + e.getMessage());
            return 2;
        }
        return other.handleParseException(e, args);
    }

    /**
     * A bound known only once the model is open (e.g. {@code --patch-last} against its layer count): a value above
     * {@code max} is the same one-line usage error as a {@link Range} violation.
     *
     * @param what what {@code max} is, e.g. "the model's layer count"
     */
    public static void atMost(Object command, String option, long value, long max, String what) {
        if (value > max) {
            throw new OutOfRange(new CommandLine(command), option + ": " + value + " is more than " + what + " ("
                    + max + ")");
        }
    }

    /** The range declared on an option's field or method, or null. */
    static Range rangeOf(ArgSpec arg) {
        return arg.userObject() instanceof AnnotatedElement e ? e.getAnnotation(Range.class) : null;
    }

    static void check(CommandLine cl, ArgSpec arg) {
        Range range = rangeOf(arg);
        if (range == null) {
            return;
        }
        for (Number v : numbers(arg.getValue())) {
            double x = v.doubleValue();
            if (!(x >= range.min() && x <= range.max())) { // NaN fails too
                throw new OutOfRange(cl, name(arg) + ": " + v + " is outside the accepted range " + show(range.min())
                        + " to " + show(range.max()) + (range.note().isEmpty() ? "" : " (" + range.note() + ")"));
            }
        }
    }

    static String name(ArgSpec arg) {
        return arg instanceof CommandLine.Model.OptionSpec o ? o.longestName() : arg.paramLabel();
    }

    private static String show(double bound) {
        return bound == Math.rint(bound) && Math.abs(bound) < 1e18 ? Long.toString((long) bound)
                : Double.toString(bound);
    }

    private static List<Number> numbers(Object value) {
        if (value instanceof Number n) {
            return List.of(n);
        }
        if (value instanceof int[] a) {
            return java.util.Arrays.stream(a).boxed().map(Number.class::cast).toList();
        }
        if (value instanceof long[] a) {
            return java.util.Arrays.stream(a).boxed().map(Number.class::cast).toList();
        }
        if (value instanceof double[] a) {
            return java.util.Arrays.stream(a).boxed().map(Number.class::cast).toList();
        }
        if (value instanceof Collection<?> c) {
            return c.stream().filter(Number.class::isInstance).map(Number.class::cast).toList();
        }
        return List.of();
    }
}

package dev.hyperattention4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.AnnotatedElement;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Every numeric option of every command declares its accepted values ({@link Range}, or {@link AnyValue} for seeds),
 * and an absurd value (negative, zero, 2e9, NaN, 1e30) outside that range is one line on stderr naming the option,
 * the value and the range, exit code 2, before any work: the model argument names a file that does not exist, so a
 * command that started working would fail differently (issue #25 class 4). The commands and options are found by
 * picocli's reflection, so a new option without a declared range fails here.
 */
class OptionRangesTest {

    /** Every runnable command as its path of names (e.g. [experiment, fidelity]) with its picocli model. */
    private static List<List<String>> commandPaths() {
        List<List<String>> out = new ArrayList<>();
        collect(Main.commandLine(), new ArrayList<>(), out);
        return out;
    }

    private static void collect(CommandLine cl, List<String> path, List<List<String>> out) {
        for (var e : cl.getSubcommands().entrySet()) {
            if (e.getKey().equals("help")) {
                continue;
            }
            List<String> p = new ArrayList<>(path);
            p.add(e.getKey());
            out.add(p);
            collect(e.getValue(), p, out);
        }
    }

    /** The commands that run (not a group such as {@code experiment}, whose subcommands are walked themselves). */
    private static List<List<String>> leafCommandPaths() {
        return commandPaths().stream().filter(path -> find(path).getSubcommands().isEmpty()).toList();
    }

    private static CommandLine find(List<String> path) {
        CommandLine cl = Main.commandLine();
        for (String name : path) {
            cl = cl.getSubcommands().get(name);
        }
        return cl;
    }

    private static boolean numeric(Class<?> c) {
        return c == int.class || c == long.class || c == float.class || c == double.class
                || Number.class.isAssignableFrom(c);
    }

    private static boolean isNumeric(ArgSpec a) {
        Class<?> t = a.type();
        if (t.isArray()) {
            return numeric(t.getComponentType());
        }
        if (Collection.class.isAssignableFrom(t)) {
            return a.auxiliaryTypes().length > 0 && numeric(a.auxiliaryTypes()[0]);
        }
        return numeric(t);
    }

    private static boolean floating(ArgSpec a) {
        Class<?> t = a.type().isArray() ? a.type().getComponentType()
                : Collection.class.isAssignableFrom(a.type()) ? a.auxiliaryTypes()[0] : a.type();
        return t == float.class || t == double.class || t == Float.class || t == Double.class;
    }

    @Test
    void everyNumericOptionDeclaresItsAcceptedValues() {
        int numericOptions = 0;
        for (List<String> path : commandPaths()) {
            for (ArgSpec a : find(path).getCommandSpec().args()) {
                if (!isNumeric(a)) {
                    continue;
                }
                numericOptions++;
                boolean declared = OptionRanges.rangeOf(a) != null
                        || a.userObject() instanceof AnnotatedElement e && e.isAnnotationPresent(AnyValue.class);
                assertThat(declared).as("%s %s declares @Range or @AnyValue", path, OptionRanges.name(a)).isTrue();
            }
        }
        assertThat(numericOptions).as("numeric options found by reflection").isGreaterThan(50);
    }

    @Test
    void everyDefaultValueIsInsideItsRange() {
        int checked = 0;
        for (List<String> path : leafCommandPaths()) {
            CommandLine cl = find(path);
            List<String> args = new ArrayList<>(path);
            args.addAll(requiredArguments(cl));
            CommandLine.ParseResult parsed = Main.commandLine().parseArgs(args.toArray(String[]::new));
            while (parsed.hasSubcommand()) {
                parsed = parsed.subcommand();
            }
            CommandLine leaf = parsed.commandSpec().commandLine();
            for (ArgSpec a : parsed.commandSpec().args()) {
                OptionRanges.check(leaf, a); // throws for a default outside the declared range
                checked += OptionRanges.rangeOf(a) != null ? 1 : 0;
            }
        }
        assertThat(checked).isGreaterThan(50);
    }

    @Test
    void absurdValuesAreOneLineErrorsNamingTheOptionBeforeAnyWork() {
        int refused = 0;
        for (List<String> path : leafCommandPaths()) {
            CommandLine cl = find(path);
            List<String> required = requiredArguments(cl);
            for (OptionSpec o : cl.getCommandSpec().options()) {
                Range range = OptionRanges.rangeOf(o);
                if (range == null) {
                    continue;
                }
                List<String> values = new ArrayList<>(List.of("-1", "0", "2000000000", "-2000000000"));
                if (floating(o)) {
                    values.addAll(List.of("NaN", "1e30", "-0.5"));
                }
                for (String value : values) {
                    double x = Double.parseDouble(value);
                    if (x >= range.min() && x <= range.max()) {
                        continue;
                    }
                    List<String> args = new ArrayList<>(path);
                    args.addAll(required);
                    args.add(o.longestName());
                    args.add(value);
                    CliRun run = CliRun.of(args.toArray(String[]::new));
                    assertThat(run.exit()).as("exit code of %s", args).isEqualTo(2);
                    assertThat(run.err().lines().toList()).as("stderr of %s", args).hasSize(1);
                    assertThat(run.err()).as("stderr of %s", args)
                            .startsWith("error: " + o.longestName() + ": " + numberText(o, value)
                                    + " is outside the accepted range ");
                    assertThat(run.out()).as("stdout of %s", args).isEmpty();
                    refused++;
                }
            }
        }
        assertThat(refused).as("absurd values refused").isGreaterThan(150);
    }

    /** How the option's type prints the parsed value (2000000000 as a float prints as 2.0E9). */
    private static String numberText(OptionSpec o, String value) {
        if (!floating(o)) {
            return value;
        }
        Class<?> t = o.type().isArray() ? o.type().getComponentType()
                : Collection.class.isAssignableFrom(o.type()) ? o.auxiliaryTypes()[0] : o.type();
        return t == float.class || t == Float.class ? Float.toString(Float.parseFloat(value))
                : Double.toString(Double.parseDouble(value));
    }

    /** Placeholder values for the required options and positional parameters (a model file that does not exist). */
    private static List<String> requiredArguments(CommandLine cl) {
        List<String> out = new ArrayList<>();
        for (ArgSpec a : cl.getCommandSpec().requiredArgs()) {
            if (a instanceof OptionSpec o) {
                out.add(o.longestName());
            }
            out.add(isNumeric(a) ? "1" : "no-such-model-file-for-this-test");
        }
        return out;
    }
}

package dev.hyperattention4j.cli;

import picocli.CommandLine;
import picocli.CommandLine.Option;

/** The --mask option of the attention benchmarks and experiments (a picocli mixin): non-causal, causal or both. */
public final class MaskOption {
    @Option(names = "--mask", defaultValue = "both",
            description = "noncausal (= full), causal or both (default ${DEFAULT-VALUE})")
    public String mask = "both";

    /**
     * The causal flags to run, non-causal first.
     *
     * @throws IllegalArgumentException for any other value
     */
    public boolean[] masks() {
        return switch (mask) {
            case "noncausal", "full" -> new boolean[] {false};
            case "causal" -> new boolean[] {true};
            case "both" -> new boolean[] {false, true};
            default -> throw new IllegalArgumentException("--mask must be noncausal (= full), causal or both, got "
                    + mask);
        };
    }

    /** As {@link #masks()}, a bad value being picocli's usage error of {@code command} (exit code 2). */
    public boolean[] masks(Object command) {
        try {
            return masks();
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(new CommandLine(command), e.getMessage());
        }
    }
}

package dev.hyperattention4j.llm.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class StopStringsTest {

    /** Feeds pieces, returns everything released (flush included) and whether it stopped. */
    static String run(StopStrings s, String... pieces) {
        StringBuilder out = new StringBuilder();
        for (String p : pieces) {
            out.append(s.accept(p));
        }
        return out.append(s.flush()).toString();
    }

    @Test
    void cutsBeforeTheFirstStopSpanningPieces() {
        StopStrings s = new StopStrings(List.of("END", "\n\n"));
        assertThat(run(s, "a b", "c E", "N", "D more", "text")).isEqualTo("a bc ");
        assertThat(s.stopped()).isTrue();
        StopStrings earliest = new StopStrings(List.of("cd", "b"));
        assertThat(run(earliest, "abcd")).isEqualTo("a");
    }

    @Test
    void holdsBackOnlyWhatCanStillBecomeAStop() {
        StopStrings s = new StopStrings(List.of("<|end|>"));
        assertThat(s.accept("hello <|")).isEqualTo("hello ");
        assertThat(s.accept("en")).isEmpty();
        assertThat(s.accept("try")).isEqualTo("<|entry");   // not the stop string after all: released at once
        assertThat(s.accept(" x <")).isEqualTo(" x ");
        assertThat(s.flush()).isEqualTo("<");                // the end of the text releases the held tail
        assertThat(s.stopped()).isFalse();
    }

    @Test
    void noStopsPassesEverythingAndEmptyIsRefused() {
        StopStrings none = new StopStrings(List.of());
        assertThat(none.accept("ab")).isEqualTo("ab");
        assertThatThrownBy(() -> new StopStrings(List.of(""))).hasMessageContaining("stop string");
    }
}

package dev.hyperattention4j.cli.experiment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ResultStoreTest {
    record Row(String key, double value) {}

    @Test
    void anInterruptedRunKeepsItsRowsAndResumes(@TempDir Path dir) throws Exception {
        Map<String, Object> settings = Map.of("n", 4, "seed", 1L);
        boolean[] reported = {false};
        try (ResultStore<Row> store = ResultStore.open(dir, "x", "x", settings, Map.of(), Row.class, Row::key, false)) {
            store.onInterrupt(() -> reported[0] = true);
            store.add(new Row("a", 1.5));
            store.add(new Row("b", 2.5));
            store.markInterrupted();                     // what the shutdown hook does on Ctrl-C
        }
        assertThat(reported[0]).isTrue();
        assertThat(Cli.json(dir.resolve("x.json")).path("status").asText()).isEqualTo("interrupted");
        try (ResultStore<Row> again = ResultStore.open(dir, "x", "x", settings, Map.of(), Row.class, Row::key, false)) {
            assertThat(again.resumedRows()).isEqualTo(2);
            assertThat(again.has("a")).isTrue();
            assertThat(again.get("b").value()).isEqualTo(2.5);
            again.complete();
        }
        assertThat(Cli.json(dir.resolve("x.json")).path("status").asText()).isEqualTo("complete");
        assertThatThrownBy(() -> ResultStore.open(dir, "x", "x", Map.of("n", 5), Map.of(), Row.class, Row::key, false))
                .isInstanceOf(ResultStore.SettingsMismatch.class).hasMessageContaining("--restart");
        try (ResultStore<Row> fresh = ResultStore.open(dir, "x", "x", Map.of("n", 5), Map.of(), Row.class, Row::key,
                true)) {
            assertThat(fresh.rows()).isEqualTo(List.of());
        }
    }
}

package dev.hyperattention4j.llm.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hyperattention4j.llm.format.io.Json;
import dev.hyperattention4j.llm.testing.SharedData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The byte-level BPE trainer: known merges on a tiny corpus, and a vocabulary trained on a book that the runtime's
 * tokenizer.json loader reads back with the trainer's own ids for every piece of the training text, and that
 * round-trips every shared book.
 */
class BpeTrainerTest {
    @Test
    void tinyCorpusHasKnownMerges() {
        // pieces "ab", " ab" (twice), " abc": a+b occurs 4 times, then Ġ+ab 3 times; Ġab+c once, which stops training
        BpeTrainer.Result r = BpeTrainer.train(List.of("ab ab ab abc"), 300);
        assertEquals(2, r.merges().size());
        assertArrayEquals(new String[] {"a", "b"}, r.merges().get(0));
        assertArrayEquals(new String[] {"\u0120", "ab"}, r.merges().get(1));
        assertEquals(List.of("ab", "\u0120ab"), r.tokens().subList(256, 258));
        assertEquals(260, r.vocabSize());
        assertArrayEquals(new int[] {257, 'c'}, r.pieces().get(" abc"));
    }

    @Test
    void trainedVocabularyLoadsWithTheSameIdsAndRoundTripsTheBooks(@TempDir Path dir) throws Exception {
        Path texts = SharedData.require("texts");
        String alice = Files.readString(texts.resolve("alice.txt"));
        BpeTrainer.Result r = BpeTrainer.train(List.of(alice), 1024);
        assertEquals(1024, r.vocabSize());
        Path file = dir.resolve("tokenizer.json");
        Json.MAPPER.writeValue(file.toFile(), BpeTrainer.toJson(r));
        BpeTokenizer tok = HfTokenizerJson.read(file, r.bosId(), r.eosId(), r.vocabSize());
        assertEquals(1024, tok.vocabSize());
        for (Map.Entry<String, int[]> e : r.pieces().entrySet()) {
            assertArrayEquals(e.getValue(), tok.encode(e.getKey(), false), "piece '" + e.getKey() + "'");
        }
        int[] ids = tok.encode(alice, false);
        assertTrue(ids.length < alice.length() / 2.5, "1024 tokens should compress English: " + ids.length);
        List<Path> books;
        try (Stream<Path> s = Files.list(texts)) {
            books = new ArrayList<>(s.filter(p -> p.toString().endsWith(".txt")).sorted().toList());
        }
        assertTrue(books.size() >= 2);
        for (Path book : books) {
            String text = Files.readString(book);
            assertEquals(text, tok.decode(tok.encode(text, false)), book.getFileName().toString());
        }
    }
}

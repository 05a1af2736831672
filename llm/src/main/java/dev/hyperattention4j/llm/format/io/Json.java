package dev.hyperattention4j.llm.format.io;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The one Jackson mapper of the loaders: building a mapper is the largest part of a cold model open, so it is done
 * once. Duplicate keys are errors, because which duplicate wins would otherwise be an accident of the parser.
 * Thread-safe once configured.
 */
public final class Json {
    /** Also: content after the JSON value is an error, not silently ignored (fuzz finding, docs/RELIABILITY.md). */
    public static final ObjectMapper MAPPER = new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private Json() {}
}

package dev.hyperattention4j.llm.format.io;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The one Jackson mapper of the loaders: building a mapper is the largest part of a cold model open, so it is done
 * once. Duplicate keys are errors, because which duplicate wins would otherwise be an accident of the parser.
 * Thread-safe once configured.
 */
public final class Json {
    public static final ObjectMapper MAPPER = new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    private Json() {}
}

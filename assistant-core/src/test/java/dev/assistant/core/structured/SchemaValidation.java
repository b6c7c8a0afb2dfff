package dev.assistant.core.structured;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;

import java.util.List;

/** Parses text as JSON and validates it with a real JSON Schema validator (draft 2020-12). */
public final class SchemaValidation {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final SchemaRegistry REGISTRY = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12);

    private SchemaValidation() {
    }

    public static JsonNode schema(String json) {
        try {
            return JSON.readTree(json);
        } catch (Exception e) {
            throw new IllegalArgumentException(e);
        }
    }

    /** Null when {@code text} parses as one JSON document and validates; else what is wrong. */
    public static String problem(JsonNode schema, String text) {
        JsonNode value;
        try {
            // strict: one document, nothing after it
            value = JSON.reader().with(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                    .readTree(text);
        } catch (Exception e) {
            return "does not parse: " + e.getMessage();
        }
        if (value == null || value.isMissingNode()) {
            return "empty";
        }
        Schema s = REGISTRY.getSchema(schema);
        List<Error> errors = s.validate(value);
        return errors.isEmpty() ? null : "invalid: " + errors;
    }
}

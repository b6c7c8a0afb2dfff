package dev.assistant.server.openai;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;

import java.util.List;

/**
 * Plain 400 messages for JSON a client got wrong. Jackson's own messages name its classes and Java types
 * ({@code Cannot deserialize value of type `java.lang.Integer`...}), which means nothing to an API client and
 * shows how the server is built: this says what is wrong and where (the field, or line and column).
 */
public final class JsonErrors {
    private JsonErrors() {
    }

    /** The 400 for a body that could not be read as JSON (or mapped to the expected shape). */
    public static ApiError describe(JsonProcessingException e) {
        String field = field(e);
        if (e instanceof MismatchedInputException && field != null) {
            return ApiError.invalid(field, "'" + field + "' has the wrong type or shape.");
        }
        String original = e.getOriginalMessage() == null ? "" : e.getOriginalMessage();
        if (original.startsWith("Trailing token")) {
            return ApiError.invalid(null, "The request body must be exactly one JSON value; more content follows it"
                    + where(e.getLocation()) + ".");
        }
        if (original.contains("end-of-input")) {
            return ApiError.invalid(null, "The request body ends before its JSON value is complete.");
        }
        return ApiError.invalid(field, "The request body is not valid JSON" + where(e.getLocation()) + ".");
    }

    /** The JSON path of a mapping failure, e.g. {@code messages[0].content}; null when unknown. */
    private static String field(JsonProcessingException e) {
        if (!(e instanceof JsonMappingException m) || m.getPath().isEmpty()) {
            return null;
        }
        StringBuilder path = new StringBuilder();
        List<JsonMappingException.Reference> refs = m.getPath();
        for (JsonMappingException.Reference r : refs) {
            if (r.getFieldName() != null) {
                if (path.length() > 0) {
                    path.append('.');
                }
                path.append(r.getFieldName());
            } else if (r.getIndex() >= 0) {
                path.append('[').append(r.getIndex()).append(']');
            }
        }
        return path.length() == 0 ? null : path.toString();
    }

    private static String where(JsonLocation at) {
        if (at == null || at.getLineNr() < 1) {
            return "";
        }
        return " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")";
    }
}

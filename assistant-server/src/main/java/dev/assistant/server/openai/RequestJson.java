package dev.assistant.server.openai;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;

/** Reads a request body as one JSON value; every way it can be wrong is a 400 with a plain message. */
public final class RequestJson {
    private RequestJson() {
    }

    /**
     * @param json a mapper with {@code FAIL_ON_TRAILING_TOKENS}, so content after the value is refused
     * @throws ApiException 400 for an empty body, malformed JSON or bytes that are not text at all
     */
    public static JsonNode read(ObjectMapper json, byte[] body) {
        if (body.length == 0) {
            throw new ApiException(ApiError.invalid(null, "The request body is empty: send a JSON object."));
        }
        try {
            JsonNode node = json.readTree(body);
            if (node == null || node.isMissingNode()) {
                throw new ApiException(ApiError.invalid(null, "The request body holds no JSON value."));
            }
            return node;
        } catch (JsonProcessingException e) {
            throw new ApiException(JsonErrors.describe(e));
        } catch (IOException e) {
            // Not JSON text at all (e.g. invalid UTF-16/32 sequences, which Jackson reports as I/O errors).
            throw new ApiException(ApiError.invalid(null, "The request body is not valid JSON text (send UTF-8)."));
        }
    }
}

package dev.assistant.server.openai;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.time.Duration;

/** What the request-body fuzz targets share: the server's JSON reading, and its parser. */
final class FuzzedBodies {
    static final ObjectMapper JSON = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    static final RequestParser PARSER = new RequestParser(Duration.ofMinutes(1));

    private FuzzedBodies() {
    }

    /** The server's own reading of a body, or null when it is refused (with a plain 400, else a finding). */
    static JsonNode read(byte[] data) {
        try {
            return RequestJson.read(JSON, data);
        } catch (ApiException e) {
            assertPlain400(e.error());
            return null;
        }
    }

    static void assertPlain400(ApiError error) {
        String m = error.message();
        if (error.status() != 400 || m.contains("com.fasterxml") || m.contains("`") || m.contains("java.")) {
            throw new AssertionError("not a plain 400: " + error);
        }
    }
}

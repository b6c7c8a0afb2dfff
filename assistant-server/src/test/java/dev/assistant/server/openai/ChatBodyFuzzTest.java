package dev.assistant.server.openai;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.JsonNode;
import dev.assistant.core.CallerKey;

/**
 * {@code /v1/chat/completions} bodies come from anyone who can reach the port: whatever the bytes, reading and parsing them
 * ends with a request or an {@link ApiException} (a 4xx the client sees), never another exception, a hang or a
 * crash, and no JSON-reading 400 quotes Jackson's internals. A normal build replays the committed inputs.
 */
class ChatBodyFuzzTest {
    @FuzzTest(maxDuration = "15s")
    void chatBody(byte[] data) {
        JsonNode body = FuzzedBodies.read(data);
        if (body == null) {
            return;
        }
        try (CallerKey key = CallerKey.of("ak_fuzz")) {
            FuzzedBodies.PARSER.chat(body, key);
        } catch (ApiException expected) {
            // a 4xx naming the field (its message may quote what the client sent, so it is not checked for words)
        }
    }
}

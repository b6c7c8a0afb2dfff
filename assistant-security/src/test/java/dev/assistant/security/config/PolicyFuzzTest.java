package dev.assistant.security.config;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.assistant.api.AssistantException;
import dev.assistant.security.policy.PolicyParser;

import java.nio.charset.StandardCharsets;

/**
 * Policies are JSON an operator writes: whatever a document holds, parsing it ends with a policy or a typed
 * {@link AssistantException} naming the place, never another exception, a hang or a crash.
 */
class PolicyFuzzTest {
    @FuzzTest(maxDuration = "15s")
    void policy(byte[] data) {
        try {
            PolicyParser.standard().parse("fuzzed", new String(data, StandardCharsets.UTF_8));
        } catch (AssistantException expected) {
            // refused with a type and a JSON path
        }
    }
}

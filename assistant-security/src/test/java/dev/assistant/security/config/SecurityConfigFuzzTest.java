package dev.assistant.security.config;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.assistant.api.AssistantException;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * The security configuration is a file an operator edits by hand: whatever it holds, reading it ends with a
 * configuration or a typed {@link AssistantException} naming the place, never another exception, a hang or a
 * crash. A normal build replays the committed inputs.
 */
class SecurityConfigFuzzTest {
    private static final Path BASE = Path.of(System.getProperty("java.io.tmpdir"), "security-config-fuzz-base");

    @FuzzTest(maxDuration = "15s")
    void securityConfig(byte[] data) {
        try {
            SecurityConfig.parse(new String(data, StandardCharsets.UTF_8), BASE);
        } catch (AssistantException expected) {
            // refused with a type and a JSON path
        }
    }
}

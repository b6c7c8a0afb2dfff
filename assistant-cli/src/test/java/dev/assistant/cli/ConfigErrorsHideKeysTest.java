package dev.assistant.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.assistant.security.auth.ApiKeys;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An operator who pastes an API key where its id belongs, or as a field name, must not see the key printed back
 * (into a terminal, a CI log, a support ticket) by {@code keys check} or {@code serve}: the error names the file and
 * the JSON path, and a key-shaped id is refused.
 */
class ConfigErrorsHideKeysTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String HASH = "ab".repeat(32);

    @TempDir
    Path dir;

    private final String key = new String(ApiKeys.generate(new SecureRandom()));

    private record Result(int exit, String output) {
    }

    private static Result run(String... args) {
        StringWriter out = new StringWriter();
        int exit = AssistantCli.run(args, new PrintWriter(out, true), new PrintWriter(out, true));
        return new Result(exit, out.toString());
    }

    private ObjectNode config() throws Exception {
        return (ObjectNode) JSON.readTree("""
                {"environment": "test", "keyProvider": {"provider": "env"}, "pepper": {"keyId": "cli-pepper"},
                 "keys": []}""");
    }

    private ObjectNode record(String keyId) {
        return JSON.createObjectNode().put("keyId", keyId).put("principal", "reporting").put("hash", HASH)
                .put("environment", "test").put("issuedAt", Instant.parse("2026-01-01T00:00:00Z").toString());
    }

    private Path write(ObjectNode config) throws Exception {
        Path file = dir.resolve("security.json");
        Files.writeString(file, config.toPrettyString());
        return file;
    }

    private void assertRefusedWithoutTheKey(Path file, String expectedPath) {
        for (String[] command : new String[][] {{"keys", "check", "--config", file.toString()},
                {"serve", "--port", "0", "--security-config", file.toString()}}) {
            Result r = run(command);
            assertThat(r.exit()).as(String.join(" ", command) + ": " + r.output()).isNotZero();
            assertThat(r.output()).as(String.join(" ", command)).doesNotContain(key)
                    .doesNotContain(key.substring(3, 20)).contains(file.toString()).contains(expectedPath);
        }
    }

    @Test
    void aKeyPastedAsTheKeyIdIsRefusedAndNotPrinted() throws Exception {
        ObjectNode config = config();
        config.withArray("keys").add(record(key));
        assertRefusedWithoutTheKey(write(config), "keys[0].keyId");
    }

    @Test
    void aKeyPastedAsAFieldNameIsNotPrinted() throws Exception {
        ObjectNode config = config();
        config.withArray("keys").add(record("reporting-1").put(key, "oops"));
        assertRefusedWithoutTheKey(write(config), "keys[0]");

        ObjectNode top = config();
        top.put(key, true);
        assertRefusedWithoutTheKey(write(top), "unknown field");
    }

    @Test
    void aKeyPastedAsARateLimitKeyIdIsNotPrinted() throws Exception {
        ObjectNode config = config();
        config.withArray("keys").add(record("reporting-1"));
        config.putObject("rateLimits").putObject("keys").putObject(key).put("requestsPerMinute", 10);
        assertRefusedWithoutTheKey(write(config), "rateLimits.keys");
    }

    @Test
    void aKeyGivenAsAKeyIdArgumentIsNotPrinted() {
        Result r = run("keys", "check", "-s", "provider=env", "-e", "test", "--key", key);
        assertThat(r.exit()).isNotZero();
        assertThat(r.output()).doesNotContain(key).contains("--key");
    }
}

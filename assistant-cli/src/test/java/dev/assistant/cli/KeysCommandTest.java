package dev.assistant.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.assistant.api.Secret;
import dev.assistant.security.auth.ApiKeyHasher;
import dev.assistant.security.auth.ApiKeys;
import dev.assistant.api.security.Principal;
import dev.assistant.security.config.SecuritySettings;
import dev.assistant.security.testing.SoftHsm;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code assistant keys} in-process through {@link AssistantCli#run}. The env-provider fixtures (pepper
 * {@code cli-pepper@test}) and the PKCS#11 PIN come from surefire's environment (assistant-cli/pom.xml).
 */
class KeysCommandTest {
    /** Environment variable through which the keys commands read the PKCS#11 PIN (set by the pom). */
    private static final String PIN_ENV = "ASSISTANT_CLI_TEST_PIN";

    private static final ObjectMapper JSON = new ObjectMapper();
    /** The value surefire sets in ASSISTANT_KEY_TEST_CLI_PEPPER. */
    private static final String PEPPER = "cli-test-pepper-0123456789abcdef";
    private static final String API_KEY = "ak_cli-test-key-0000000000000000000000000000000";

    @TempDir
    Path dir;

    record Result(int exit, String out, String err) {
    }

    private static Result run(String stdin, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        InputStream original = System.in;
        System.setIn(new ByteArrayInputStream((stdin == null ? "" : stdin).getBytes(StandardCharsets.UTF_8)));
        try {
            int exit = AssistantCli.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
            return new Result(exit, out.toString(), err.toString());
        } finally {
            System.setIn(original);
        }
    }

    private static String hmacHex(String pepper, String key) {
        return ApiKeys.toHex(new ApiKeyHasher(Secret.adopt(pepper.getBytes(StandardCharsets.UTF_8)))
                .hash(key.toCharArray()));
    }

    /** A test-environment configuration over the env provider, with a long maximum age (the pepper is old). */
    private ObjectNode envConfig() throws Exception {
        return (ObjectNode) JSON.readTree("""
                {"environment": "test",
                 "keyProvider": {"provider": "env"},
                 "pepper": {"keyId": "cli-pepper"},
                 "lifecycle": {"maxAge": "P3650D", "warnBefore": "P14D"},
                 "keys": [],
                 "policies": {"chat": {"version": "2.0", "statement":
                    {"effect": "allow", "action": "assistant:Chat", "resource": "model/*"}}}}""");
    }

    private static ObjectNode record(String keyId, String key, Instant issuedAt) {
        return JSON.createObjectNode().put("keyId", keyId).put("principal", keyId + "-owner")
                .put("hash", hmacHex(PEPPER, key)).put("environment", "test").put("issuedAt", issuedAt.toString());
    }

    private Path write(ObjectNode config) throws Exception {
        Path file = dir.resolve("security.json");
        Files.writeString(file, config.toPrettyString());
        return file;
    }

    @Test
    void hashReadsTheKeyFromStdinAndPrintsItsKeyedHash() throws Exception {
        Path config = write(envConfig());
        Result r = run(API_KEY + "\n", "keys", "hash", "--config", config.toString());
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out().strip()).isEqualTo(hmacHex(PEPPER, API_KEY));
        assertThat(r.out() + r.err()).doesNotContain(API_KEY).doesNotContain(PEPPER);

        Result crlf = run(API_KEY + "\r\n", "keys", "hash", "-s", "provider=env", "-e", "test",
                "--pepper-key", "cli-pepper");
        assertThat(crlf.out().strip()).isEqualTo(hmacHex(PEPPER, API_KEY));

        Result empty = run("", "keys", "hash", "--config", config.toString());
        assertThat(empty.exit()).isEqualTo(1);
        assertThat(empty.err()).contains("INVALID_REQUEST").contains("no secret on stdin");

        Result shortPepper = run(API_KEY, "keys", "hash", "-s", "provider=env", "-e", "test", "--pepper-key", "cli-short");
        assertThat(shortPepper.exit()).isEqualTo(1);
        assertThat(shortPepper.err()).contains("at least 16 bytes").doesNotContain("too-short");

        Result noPepper = run(API_KEY, "keys", "hash", "-s", "provider=env", "-e", "test");
        assertThat(noPepper.exit()).isEqualTo(2);
        assertThat(noPepper.err()).contains("--pepper-key");
        assertThat(run(API_KEY, "keys", "hash", API_KEY).exit()).as("a key as an argument is a usage error").isEqualTo(2);
    }

    @Test
    void generatePrintsAFreshKeyAndARecordThatAuthenticatesOnceLoaded() throws Exception {
        ObjectNode config = envConfig();
        Path file = write(config);
        Result r = run(null, "keys", "generate", "--config", file.toString(), "--key-id", "new-1",
                "--principal", "reporting", "--policy", "chat", "--group", "analytics");
        assertThat(r.exit()).as(r.err()).isZero();
        String[] lines = r.out().split("\n", 2);
        String key = lines[0].strip();
        assertThat(key).startsWith("ak_").hasSize(3 + 43);
        JsonNode record = JSON.readTree(lines[1]);
        assertThat(record.get("hash").asText()).isEqualTo(hmacHex(PEPPER, key));
        assertThat(record.get("environment").asText()).isEqualTo("test");
        assertThat(r.err()).doesNotContain(key);

        ((ArrayNode) config.get("keys")).add(record);
        try (SecuritySettings security = SecuritySettings.load(write(config), System::getenv, Clock.systemUTC())) {
            Principal who = security.authenticator().orElseThrow().authenticate(key.toCharArray());
            security.authorizer().orElseThrow().authorize(who, dev.assistant.api.security.Action.CHAT, "model/qwen");
            assertThat(who.keyId()).isEqualTo("new-1");
            assertThat(who.groups()).containsExactly("analytics");
        }

        Result other = run(null, "keys", "generate", "-e", "dev", "--key-id", "x", "--principal", "p");
        assertThat(other.exit()).as(other.err()).isZero();
        String otherKey = other.out().split("\n", 2)[0].strip();
        assertThat(otherKey).isNotEqualTo(key);
        assertThat(JSON.readTree(other.out().split("\n", 2)[1]).get("hash").asText())
                .isEqualTo(KeysGenerateCommand.HASH_PLACEHOLDER);
    }

    @Test
    void checkReportsEveryKeyWithRotationAndExpiryWarningsAndNoSecrets() throws Exception {
        Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        ObjectNode config = envConfig();
        ArrayNode keys = (ArrayNode) config.get("keys");
        keys.add(record("fresh-1", "ak_fresh", now.minus(Duration.ofDays(1))));
        keys.add(record("old-1", "ak_old", now.minus(Duration.ofDays(3650 - 5))));
        keys.add(record("temp-1", "ak_temp", now.minus(Duration.ofDays(1))).put("expiresAt",
                now.plus(Duration.ofDays(2)).toString()));
        Path file = write(config);
        Result ok = run(null, "keys", "check", "--config", file.toString());
        assertThat(ok.exit()).as(ok.out() + ok.err()).isZero();
        assertThat(ok.out()).containsPattern("env\\s+cli-pepper@test\\s+OK\\s+ok")
                .containsPattern("records\\s+fresh-1@test\\s+OK\\s+ok")
                .containsPattern("records\\s+old-1@test\\s+WARN\\s+nearing_rotation\\s+ROTATE within 4 days")
                .containsPattern("records\\s+temp-1@test\\s+WARN\\s+expiring_soon\\s+.*EXPIRES in 1 days")
                .contains("4 checked: 2 ok, 2 warnings, 0 errors")
                .doesNotContain(PEPPER);

        keys.add(record("expired-1", "ak_expired", now.minus(Duration.ofDays(10))).put("expiresAt",
                now.minus(Duration.ofDays(1)).toString()));
        keys.add(record("prod-1", "ak_prod", now).put("environment", "prod"));
        Result bad = run(null, "keys", "check", "--config", write(config).toString(), "--key", "missing-key",
                "--json");
        assertThat(bad.exit()).isEqualTo(1);
        JsonNode report = JSON.readTree(bad.out());
        assertThat(report).hasSize(7);
        assertThat(find(report, "missing-key").get("code").asText()).isEqualTo("key_not_found");
        assertThat(find(report, "missing-key").get("status").asText()).isEqualTo("ERROR");
        assertThat(find(report, "expired-1").get("code").asText()).isEqualTo("key_expired");
        assertThat(find(report, "prod-1").get("code").asText()).isEqualTo("wrong_environment");
        assertThat(find(report, "cli-pepper").get("status").asText()).isEqualTo("OK");
        assertThat(bad.out()).doesNotContain(PEPPER);
    }

    private static JsonNode find(JsonNode report, String keyId) {
        for (JsonNode line : report) {
            if (line.get("keyId").asText().equals(keyId)) {
                return line;
            }
        }
        throw new AssertionError("no line for " + keyId + " in " + report);
    }

    @Test
    void checkTakesProviderSettingsAsOptionsAndReportsProviderSetupFailures() {
        Result ok = run(null, "keys", "check", "-s", "provider=env", "-e", "test", "--key", "cli-pepper");
        // Without a configuration the default lifecycle (90 days) applies: the fixture pepper is older than that.
        assertThat(ok.out()).containsPattern("env\\s+cli-pepper@test\\s+ERROR\\s+key_rotated_out");
        assertThat(ok.exit()).isEqualTo(1);

        Result pkcs11 = run(null, "keys", "check", "-s", "provider=pkcs11", "-s", "pkcs11.keyLabel=kek",
                "-s", "sealed.dir=" + dir, "-s", "pkcs11.pinEnv=NO_SUCH_PIN_VARIABLE", "-e", "prod", "--key", "a");
        assertThat(pkcs11.exit()).isEqualTo(1);
        assertThat(pkcs11.out()).containsPattern("pkcs11\\s+a@prod\\s+ERROR\\s+configuration\\s+.*NO_SUCH_PIN_VARIABLE");

        assertThat(run(null, "keys", "check", "-s", "provider=env", "--key", "a").exit())
                .as("no environment").isEqualTo(2);
        assertThat(run(null, "keys", "check", "-s", "provider=env", "-e", "test").exit())
                .as("nothing to check").isEqualTo(2);
    }

    @Test
    void anInvalidConfigurationFailsWithTheJsonPathAndWithoutTheValue() throws Exception {
        ObjectNode config = envConfig();
        ((ArrayNode) config.get("keys")).add(record("k1", "ak_x", Instant.parse("2026-01-01T00:00:00Z"))
                .put("hash", API_KEY));
        Result r = run(null, "keys", "check", "--config", write(config).toString());
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains("INVALID_REQUEST").contains("keys[0].hash").doesNotContain(API_KEY);
        Result both = run(null, "keys", "check", "--config", write(envConfig()).toString(), "-s", "provider=env");
        assertThat(both.exit()).isEqualTo(2);
    }

    @Test
    void sealWritesAnHsmEnvelopeThatTheConfiguredProviderResolves() throws Exception {
        SoftHsm.require();
        assertThat(System.getenv(PIN_ENV)).as("the pom gives the test JVM the test token's PIN").isEqualTo(SoftHsm.PIN);
        String pepper = "hsm-sealed-pepper-0123456789abcdef";
        ObjectNode config = envConfig();
        config.put("environment", "prod");
        config.set("keyProvider", JSON.createObjectNode().put("provider", "pkcs11").put("sealed.dir", "sealed")
                .put("pkcs11.library", SoftHsm.LIBRARY.toString()).put("pkcs11.keyLabel", SoftHsm.KEK)
                .put("pkcs11.pinEnv", PIN_ENV));
        config.set("pepper", JSON.createObjectNode().put("keyId", "api-pepper"));
        Path file = write(config);

        Result sealed = run(pepper + "\n", "keys", "seal", "--config", file.toString(), "--key-id", "api-pepper");
        assertThat(sealed.exit()).as(sealed.err()).isZero();
        Path envelope = dir.resolve("sealed/prod/api-pepper.json");
        assertThat(sealed.out()).contains("sealed api-pepper@prod into " + envelope).contains("kek " + SoftHsm.KEK);
        JsonNode json = JSON.readTree(envelope.toFile());
        assertThat(json.get("scheme").asText()).isEqualTo("pkcs11-aes-256-gcm");
        assertThat(json.get("env").asText()).isEqualTo("prod");
        assertThat(Files.readString(envelope)).doesNotContain(pepper);
        assertThat(sealed.out() + sealed.err()).doesNotContain(pepper);

        Result check = run(null, "keys", "check", "--config", file.toString());
        assertThat(check.exit()).as(check.out() + check.err()).isZero();
        assertThat(check.out()).containsPattern("pkcs11\\s+api-pepper@prod\\s+OK\\s+ok");

        Result hash = run(API_KEY, "keys", "hash", "--config", file.toString());
        assertThat(hash.out().strip()).isEqualTo(hmacHex(pepper, API_KEY));

        // An envelope relabelled to another environment does not decrypt there.
        Path moved = dir.resolve("sealed/test/api-pepper.json");
        Files.createDirectories(moved.getParent());
        Files.writeString(moved, Files.readString(envelope).replace("\"env\":\"prod\"", "\"env\":\"test\""));
        Result tampered = run(null, "keys", "check", "--config", file.toString(), "-e", "test", "--key", "api-pepper");
        assertThat(tampered.exit()).isEqualTo(1);
        assertThat(tampered.out()).containsPattern("api-pepper@test\\s+ERROR\\s+decrypt_failed");

        Result envProvider = run("x", "keys", "seal", "--config", write(envConfig()).toString(), "--key-id", "a");
        assertThat(envProvider.exit()).isEqualTo(2);
        assertThat(envProvider.err()).contains("PKCS#11");
    }

    @Test
    void keysHelpListsTheSubcommands() {
        Result r = run(null, "keys", "--help");
        assertThat(r.exit()).isZero();
        assertThat(r.out()).contains("check").contains("hash").contains("seal").contains("generate");
    }
}

package dev.assistant.security.config;

import static dev.assistant.security.config.ConfigFixture.JSON;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.assistant.api.ErrorCode;
import dev.assistant.api.security.Environment;
import dev.assistant.security.auth.ApiKeyRecord;
import dev.assistant.security.key.KeyReference;
import dev.assistant.security.ratelimit.FailureMode;
import dev.assistant.security.ratelimit.RatePlan;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SecurityConfigTest {
    @TempDir
    Path dir;

    private SecurityConfig parse(ObjectNode config) {
        return SecurityConfig.parse(config.toString(), dir);
    }

    /** Applies {@code edit} to the valid document and expects a rejection at {@code path}. */
    private SecurityConfigException rejected(Consumer<ObjectNode> edit, String path) {
        ObjectNode config = ConfigFixture.valid();
        edit.accept(config);
        Throwable thrown = org.assertj.core.api.Assertions.catchThrowable(() -> parse(config));
        assertThat(thrown).isInstanceOf(SecurityConfigException.class);
        SecurityConfigException e = (SecurityConfigException) thrown;
        assertThat(e.path()).as(e.getMessage()).isEqualTo(path);
        assertThat(e.code()).isEqualTo(ErrorCode.INVALID_REQUEST);
        assertThat(e.reason()).isEqualTo(SecurityConfigException.REASON);
        assertThat(e.getMessage()).contains(path);
        return e;
    }

    @Test
    void aCompleteFileParsesIntoEverySection() {
        SecurityConfig config = parse(ConfigFixture.valid());
        assertThat(config.environment()).isEqualTo(Environment.PROD);
        assertThat(config.keyProviderSettings()).containsEntry("provider", "env").containsEntry("env.prefix", "ASSISTANT_KEY");
        assertThat(config.pepper()).contains(KeyReference.of("api-pepper", Environment.PROD));
        List<ApiKeyRecord> keys = config.keys().orElseThrow();
        assertThat(keys).extracting(ApiKeyRecord::keyId).containsExactly("search-1", "admin-1", "dev-1");
        ApiKeyRecord admin = keys.get(1);
        assertThat(admin.expiresAt()).contains(Instant.parse("2025-06-01T00:00:00Z"));
        assertThat(admin.retiredAt()).isEmpty();
        assertThat(admin.policies()).containsExactly("everything");
        assertThat(keys.get(2).environment()).isEqualTo(Environment.DEV);
        assertThat(config.policies().orElseThrow().resolve(List.of(), List.of("search")))
                .extracting(p -> p.name()).containsExactly("chat-public");
        RateLimitSettings limits = config.rateLimits().orElseThrow();
        assertThat(limits.backend()).isEqualTo(RateLimitSettings.Backend.LOCAL);
        assertThat(limits.config().defaultPlan()).isEqualTo(new RatePlan(2, 3, 1000));
        assertThat(limits.config().planFor("admin-1")).isEqualTo(new RatePlan(100, 100, 0));
        assertThat(limits.config().modelPlan()).contains(new RatePlan(50, 50, 0));
        assertThat(limits.config().failureMode()).isEqualTo(FailureMode.FAIL_CLOSED);
        assertThat(config.lifecycle(java.time.Clock.systemUTC()).maxAge()).isEqualTo(Duration.ofDays(90));
        assertThat(config.toString()).contains("keys=3").doesNotContain(ConfigFixture.hashHex(ConfigFixture.KEY_SEARCH));
    }

    @Test
    void aMinimalFileHasNoSteps() {
        SecurityConfig config = SecurityConfig.parse("{\"environment\":\"dev\"}", dir);
        assertThat(config.keys()).isEmpty();
        assertThat(config.policies()).isEmpty();
        assertThat(config.rateLimits()).isEmpty();
        assertThat(config.keyProviderSettings()).containsExactly(java.util.Map.entry("provider", "env"));
    }

    @Test
    void unknownFieldsAreRejectedAtEveryLevel() {
        rejected(c -> c.put("rateLimit", 1), "rateLimit");
        rejected(c -> ((ObjectNode) ConfigFixture.keys(c).get(1)).put("group", "x"), "keys[1].group");
        rejected(c -> ((ObjectNode) c.get("rateLimits").get("default")).put("rps", 1), "rateLimits.default.rps");
        rejected(c -> ((ObjectNode) c.get("pepper")).put("secret", "x"), "pepper.secret");
        rejected(c -> ((ObjectNode) c.get("lifecycle")).put("maxAgeDays", 90), "lifecycle.maxAgeDays");
        SecurityConfigException e = rejected(c -> ((ObjectNode) c.get("keyProvider")).put("pkcs11.keyLabel", "kek"),
                "keyProvider[\"pkcs11.keyLabel\"]");
        assertThat(e.problem()).contains("provider pkcs11").contains("provider is env");
        rejected(c -> ((ObjectNode) c.get("keyProvider")).put("env.prefx", "X"), "keyProvider[\"env.prefx\"]");
    }

    @Test
    void policyErrorsNameThePathInsideThePolicy() {
        SecurityConfigException e = rejected(c -> ((ArrayNode) c.get("policies").get("chat-public").get("statement")
                .get(0).get("action")).set(0, JSON.getNodeFactory().textNode("assistant:Chatt")),
                "policies.chat-public.statement[0].action[0]");
        assertThat(e.problem()).contains("unknown action");
        rejected(c -> ((ObjectNode) c.get("policies").get("everything").get("statement")).put("condition", "x"),
                "policies.everything.statement.condition");
        rejected(c -> ((ObjectNode) c.get("policies").get("everything")).put("version", "2012-10-17"),
                "policies.everything.version");
    }

    @Test
    void wrongTypesAndValuesAreRejectedWithTheirPath() {
        rejected(c -> ((ObjectNode) ConfigFixture.keys(c).get(2)).put("hash", 12), "keys[2].hash");
        rejected(c -> ((ObjectNode) ConfigFixture.keys(c).get(0)).put("environment", "staging"), "keys[0].environment");
        rejected(c -> ((ObjectNode) ConfigFixture.keys(c).get(0)).put("issuedAt", "yesterday"), "keys[0].issuedAt");
        rejected(c -> ((ObjectNode) ConfigFixture.keys(c).get(0)).remove("principal"), "keys[0].principal");
        rejected(c -> ((ObjectNode) ConfigFixture.keys(c).get(1)).put("expiresAt", "2025-01-01T00:00:00Z"),
                "keys[1].expiresAt");
        rejected(c -> ((ObjectNode) ConfigFixture.keys(c).get(0)).put("groups", "search"), "keys[0].groups");
        rejected(c -> ((ObjectNode) c.get("rateLimits").get("default")).put("burst", "3"), "rateLimits.default.burst");
        rejected(c -> ((ObjectNode) c.get("rateLimits").get("default")).put("burst", 2.5), "rateLimits.default.burst");
        rejected(c -> ((ObjectNode) c.get("rateLimits").get("default")).put("requestsPerSecond", 0),
                "rateLimits.default.requestsPerSecond");
        rejected(c -> ((ObjectNode) c.get("rateLimits")).put("failureMode", "maybe"), "rateLimits.failureMode");
        rejected(c -> ((ObjectNode) c.get("rateLimits")).put("backend", "memcached"), "rateLimits.backend");
        rejected(c -> ((ObjectNode) c.get("rateLimits")).put("idleExpiry", "PT5S"), "rateLimits.idleExpiry");
        rejected(c -> ((ObjectNode) c.get("lifecycle")).put("maxAge", "90 days"), "lifecycle.maxAge");
        rejected(c -> ((ObjectNode) c.get("lifecycle")).put("warnBefore", "P100D"), "lifecycle.warnBefore");
        rejected(c -> ((ObjectNode) c.get("lifecycle")).put("clockSkew", "PT1H"), "lifecycle.clockSkew");
        rejected(c -> c.put("environment", "production"), "environment");
        rejected(c -> c.put("version", 2), "version");
        rejected(c -> c.remove("environment"), "environment");
        rejected(c -> ((ObjectNode) c.get("pepper")).put("keyId", "has space"), "pepper.keyId");
        rejected(c -> c.set("keys", JSON.createObjectNode()), "keys");
    }

    @Test
    void aKeyPastedWhereItsHashBelongsIsRejectedWithoutEchoingIt() {
        SecurityConfigException e = rejected(c -> ((ObjectNode) ConfigFixture.keys(c).get(2))
                .put("hash", ConfigFixture.KEY_DEV), "keys[2].hash");
        assertThat(e.getMessage()).doesNotContain(ConfigFixture.KEY_DEV).contains("keys hash");
        ObjectNode config = ConfigFixture.valid();
        ((ObjectNode) ConfigFixture.keys(config).get(0)).put("hash", ConfigFixture.KEY_SEARCH);
        // Broken JSON around a secret: the parser error must not quote it either.
        String broken = config.toString().replace("\"" + ConfigFixture.KEY_SEARCH + "\"", ConfigFixture.KEY_SEARCH);
        assertThatThrownBy(() -> SecurityConfig.parse(broken, dir))
                .isInstanceOfSatisfying(SecurityConfigException.class, x -> {
                    assertThat(x.path()).isEqualTo("$");
                    assertThat(x.getMessage()).contains("not valid JSON at line").doesNotContain("search-key");
                });
    }

    @Test
    void crossReferencesAreChecked() {
        rejected(c -> ((ArrayNode) ConfigFixture.keys(c).get(1).get("policies")).add("nonexistent"), "keys[1].policies[1]");
        rejected(c -> ((ArrayNode) c.get("groups").get("search")).add("nope"), "groups.search[1]");
        rejected(c -> ((ObjectNode) c.get("rateLimits").get("keys")).set("ghost-1", JSON.createObjectNode()
                .put("requestsPerSecond", 1)), "rateLimits.keys.ghost-1");
        rejected(c -> c.remove("pepper"), "pepper");
        rejected(c -> c.remove("policies"), "groups");
        rejected(c -> c.put("keysFile", "keys.json"), "keysFile");
        rejected(c -> c.set("anonymous", JSON.createObjectNode()), "anonymous");
        rejected(c -> ((ObjectNode) ConfigFixture.keys(c).get(2)).put("keyId", "search-1"), "keys[2].keyId");
        rejected(c -> ((ObjectNode) ConfigFixture.keys(c).get(2)).put("hash",
                ConfigFixture.hashHex(ConfigFixture.KEY_SEARCH)), "keys[2].hash");
        rejected(c -> ((ObjectNode) c.get("rateLimits")).set("redis", JSON.createObjectNode().put("uri", "redis://x")),
                "rateLimits.redis");
        rejected(c -> ((ObjectNode) c.get("rateLimits")).put("backend", "redis"), "rateLimits.redis");
        rejected(c -> ((ObjectNode) c.get("rateLimits")).put("backend", "redis").set("redis", JSON.createObjectNode()),
                "rateLimits.redis.uri");
    }

    @Test
    void aRedisUriWithAPasswordIsNeverEchoed() {
        SecurityConfigException e = rejected(c -> ((ObjectNode) c.get("rateLimits")).put("backend", "redis")
                .set("redis", JSON.createObjectNode().put("uri", "redis://:hunter2-secret@[::1:6379")),
                "rateLimits.redis.uri");
        assertThat(e.getMessage()).doesNotContain("hunter2");
        ObjectNode ok = ConfigFixture.valid();
        ((ObjectNode) ok.get("rateLimits")).put("backend", "redis").set("redis", JSON.createObjectNode()
                .put("uriEnv", "ASSISTANT_REDIS_URI").put("commandTimeout", "PT0.2S").put("keyPrefix", "t:"));
        RateLimitSettings limits = parse(ok).rateLimits().orElseThrow();
        assertThat(limits.backend()).isEqualTo(RateLimitSettings.Backend.REDIS);
        assertThat(limits.toString()).contains("uriEnv=ASSISTANT_REDIS_URI");
    }

    @Test
    void duplicateFieldsAndNonObjectsAreRejected() {
        assertThatThrownBy(() -> SecurityConfig.parse("{\"environment\":\"dev\",\"environment\":\"prod\"}", dir))
                .isInstanceOfSatisfying(SecurityConfigException.class,
                        e -> assertThat(e.problem()).contains("a field appears twice"));
        assertThatThrownBy(() -> SecurityConfig.parse("[]", dir))
                .isInstanceOfSatisfying(SecurityConfigException.class, e -> assertThat(e.path()).isEqualTo("$"));
        assertThatThrownBy(() -> SecurityConfig.parse("", dir)).isInstanceOf(SecurityConfigException.class);
    }

    @Test
    void providerSettingsAreTypedAndRelativePathsFollowTheFile() throws Exception {
        String json = """
                {"environment":"prod","keyProvider":{"provider":"pkcs11","sealed.dir":"secrets",
                 "pkcs11.keyLabel":"assistant-kek","pkcs11.slotListIndex":0,"cache.ttl":"PT10M"}}""";
        Path file = dir.resolve("conf/security.json");
        Files.createDirectories(file.getParent());
        Files.writeString(file, json);
        SecurityConfig config = SecurityConfig.read(file);
        assertThat(config.keyProviderSettings())
                .containsEntry("sealed.dir", dir.resolve("conf/secrets").toAbsolutePath().toString())
                .containsEntry("pkcs11.slotListIndex", "0")
                .containsEntry("cache.ttl", "PT10M");
        assertThat(config.file()).contains(file.toAbsolutePath());
        assertThatThrownBy(() -> SecurityConfig.parse(json.replace("\"pkcs11.slotListIndex\":0",
                "\"pkcs11.slotListIndex\":\"zero\""), dir))
                .isInstanceOfSatisfying(SecurityConfigException.class,
                        e -> assertThat(e.path()).isEqualTo("keyProvider[\"pkcs11.slotListIndex\"]"));
        assertThatThrownBy(() -> SecurityConfig.parse(json.replace("\"pkcs11.keyLabel\":\"assistant-kek\",", ""), dir))
                .isInstanceOfSatisfying(SecurityConfigException.class,
                        e -> assertThat(e.problem()).contains("required for provider pkcs11"));
        assertThatThrownBy(() -> SecurityConfig.read(dir.resolve("missing.json")))
                .isInstanceOfSatisfying(SecurityConfigException.class,
                        e -> assertThat(e.problem()).contains("NoSuchFileException"));
    }

    @Test
    void keysMayComeFromASeparateFileWhoseErrorsNameThatFile() throws Exception {
        ObjectNode config = ConfigFixture.valid();
        ArrayNode keys = ConfigFixture.keys(config);
        config.remove("keys");
        config.put("keysFile", "keys/records.json");
        Files.createDirectories(dir.resolve("keys"));
        Path keysFile = dir.resolve("keys/records.json");
        Files.writeString(keysFile, JSON.createObjectNode().set("keys", keys).toString());
        Path file = dir.resolve("security.json");
        Files.writeString(file, config.toString());
        assertThat(SecurityConfig.read(file).keys().orElseThrow()).hasSize(3);

        ((ObjectNode) keys.get(1)).put("issuedAt", 5);
        Files.writeString(keysFile, JSON.createObjectNode().set("keys", keys).toString(), StandardCharsets.UTF_8);
        assertThatThrownBy(() -> SecurityConfig.read(file))
                .isInstanceOfSatisfying(SecurityConfigException.class, e -> {
                    assertThat(e.path()).isEqualTo("keys[1].issuedAt");
                    assertThat(e.file()).isEqualTo(keysFile.toAbsolutePath().toString());
                });
    }

    @Test
    void theReadmeExampleIsAValidConfiguration() throws Exception {
        String readme = Files.readString(Path.of("README.md"));
        int start = readme.indexOf("```json", readme.indexOf("Complete example")) + "```json".length();
        String example = readme.substring(start, readme.indexOf("```", start));
        SecurityConfig config = SecurityConfig.parse(example, dir);
        assertThat(config.keyProviderSettings()).containsEntry("provider", "pkcs11")
                .containsEntry("sealed.dir", dir.resolve("secrets").toString());
        assertThat(config.keys().orElseThrow()).hasSize(2);
        assertThat(config.rateLimits().orElseThrow().backend()).isEqualTo(RateLimitSettings.Backend.REDIS);
        assertThat(config.rateLimits().orElseThrow().config().planFor("ops-tmp-7").requestsPerSecond()).isEqualTo(100);
    }
}

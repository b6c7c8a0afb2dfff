package dev.assistant.security.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;
import dev.assistant.api.Secret;
import dev.assistant.security.testing.SecuritySteps;
import dev.assistant.api.security.Environment;
import dev.assistant.api.security.Authenticator;
import dev.assistant.api.security.Principal;
import dev.assistant.security.auth.KeyPrincipal;
import dev.assistant.security.key.KeyProviderException;
import dev.assistant.security.key.KeyReference;
import dev.assistant.security.key.SealedSecretSource;
import dev.assistant.security.key.hsm.Pkcs11Hsm;
import dev.assistant.security.key.hsm.Pkcs11KeyProvider;
import dev.assistant.api.security.Action;
import dev.assistant.api.security.Authorizer;
import dev.assistant.api.security.RateLimiter;
import dev.assistant.security.testing.MutableClock;
import dev.assistant.security.testing.SoftHsm;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Loads real files and calls the built components: authenticate, authorize, rate-limit. */
class SecuritySettingsTest {
    @TempDir
    Path dir;

    private final MutableClock clock = MutableClock.at("2025-04-01T00:00:00Z");

    private Path write(ObjectNode config) throws Exception {
        Path file = dir.resolve("security.json");
        Files.writeString(file, config.toPrettyString());
        return file;
    }

    private static AssistantException failure(Runnable call) {
        try {
            call.run();
        } catch (AssistantException e) {
            return e;
        }
        throw new AssertionError("expected an AssistantException");
    }

    @Test
    void aLoadedFileAuthenticatesAuthorizesAndRateLimitsRealCalls() throws Exception {
        try (SecuritySettings security = SecuritySettings.load(write(ConfigFixture.valid()), ConfigFixture.ENV::get,
                clock)) {
            assertThat(security.environment()).isEqualTo(Environment.PROD);
            Authenticator authn = security.authenticator().orElseThrow();
            Authorizer authz = security.authorizer().orElseThrow();
            RateLimiter limiter = security.rateLimiter().orElseThrow();

            KeyPrincipal search = (KeyPrincipal) authn.authenticate(ConfigFixture.KEY_SEARCH.toCharArray());
            assertThat(search.keyId()).isEqualTo("search-1");
            assertThat(search.name()).isEqualTo("search-service");
            assertThat(search.policies()).extracting(p -> p.name()).containsExactly("chat-public");
            assertThat(authz.authorize(search, Action.CHAT, Authorizer.modelResource("qwen")).allowed()).isTrue();
            assertThat(failure(() -> authz.authorize(search, Action.CHAT, Authorizer.modelResource("internal-x"))))
                    .extracting(AssistantException::code, AssistantException::reason)
                    .containsExactly(ErrorCode.PERMISSION_DENIED, "explicit_deny");
            assertThat(failure(() -> authz.authorize(search, Action.GENERATE, Authorizer.modelResource("qwen")))
                    .reason()).isEqualTo("no_matching_allow");

            assertThat(failure(() -> authn.authenticate(ConfigFixture.KEY_DEV.toCharArray())).reason())
                    .isEqualTo("wrong_environment");
            assertThat(failure(() -> authn.authenticate("ak_not-a-configured-key".toCharArray())).reason())
                    .isEqualTo("unknown_key");

            // Default plan: burst 3 and a fixed clock, so exactly three calls pass.
            for (int i = 0; i < 3; i++) {
                limiter.acquire(search, "qwen");
            }
            AssistantException limited = failure(() -> limiter.acquire(search, "qwen"));
            assertThat(limited.code()).isEqualTo(ErrorCode.RATE_LIMITED);
            assertThat(limited.retryAfterNanos().orElseThrow()).isPositive();
            clock.advance(Duration.ofMillis(500));
            limiter.acquire(search, "qwen");

            // The admin key has its own plan (100/s) and a policy allowing everything, until it expires.
            SecuritySteps guard = steps(security);
            for (int i = 0; i < 20; i++) {
                assertThat(guard.admit(ConfigFixture.KEY_ADMIN.toCharArray(), Action.QUANTIZE, "internal-x").keyId())
                        .isEqualTo("admin-1");
            }
            clock.set(Instant.parse("2025-06-02T00:00:00Z"));
            assertThat(failure(() -> guard.admit(ConfigFixture.KEY_ADMIN.toCharArray(), Action.CHAT, "qwen")).reason())
                    .isEqualTo("key_expired");
        }
    }

    @Test
    void aPepperThatDoesNotResolveIsAKeyProviderFailureNamingOnlyTheKey() throws Exception {
        Path file = write(ConfigFixture.valid());
        assertThatThrownBy(() -> SecuritySettings.load(file, name -> null, clock))
                .isInstanceOfSatisfying(KeyProviderException.class, e -> {
                    assertThat(e.failure()).isEqualTo(KeyProviderException.Failure.KEY_NOT_FOUND);
                    assertThat(e.getMessage()).contains("api-pepper");
                });
        Map<String, String> shortPepper = new HashMap<>(ConfigFixture.ENV);
        shortPepper.put("ASSISTANT_KEY_PROD_API_PEPPER", "short-pepper");
        assertThatThrownBy(() -> SecuritySettings.load(file, shortPepper::get, clock))
                .isInstanceOfSatisfying(SecurityConfigException.class, e -> {
                    assertThat(e.path()).isEqualTo("pepper");
                    assertThat(e.getMessage()).doesNotContain("short-pepper");
                });
    }

    @Test
    void withoutKeysCallsRunAsTheAnonymousPrincipalUnderItsPolicies() throws Exception {
        ObjectNode config = ConfigFixture.valid();
        config.remove("keys");
        config.remove("pepper");
        config.remove("groups");
        ((ObjectNode) config.get("rateLimits")).remove("keys");
        config.set("anonymous", ConfigFixture.JSON.createObjectNode()
                .set("policies", ConfigFixture.JSON.createArrayNode().add("chat-public")));
        try (SecuritySettings security = SecuritySettings.load(write(config), name -> null, clock)) {
            assertThat(security.authenticator()).isEmpty();
            KeyPrincipal anonymous = security.anonymousPrincipal();
            assertThat(anonymous.keyId()).isEqualTo(Principal.ANONYMOUS);
            assertThat(anonymous.policies()).extracting(p -> p.name()).containsExactly("chat-public");
            SecuritySteps guard = steps(security);
            assertThat(guard.admit(null, Action.CHAT, "qwen")).isEqualTo(anonymous);
            assertThat(failure(() -> guard.admit(null, Action.CHAT, "internal-1")).code())
                    .isEqualTo(ErrorCode.PERMISSION_DENIED);
        }
        try (SecuritySettings open = SecuritySettings.load(write((ObjectNode) ConfigFixture.JSON.readTree(
                "{\"environment\":\"dev\"}")), name -> null, clock)) {
            assertThat(open.authenticator()).isEmpty();
            assertThat(open.authorizer()).isEmpty();
            assertThat(open.rateLimiter()).isEmpty();
            assertThat(steps(open).admit(null, Action.EMBED, "any").environment()).isEqualTo(Environment.DEV);
        }
    }

    @Test
    void aRedisBackendWithoutItsOptInModuleFailsNamingTheArtifactToAdd() throws Exception {
        ObjectNode config = ConfigFixture.valid();
        ((ObjectNode) config.get("rateLimits")).put("backend", "redis").set("redis", ConfigFixture.JSON
                .createObjectNode().put("uri", "redis://127.0.0.1:6379"));
        Path file = write(config);
        assertThat(SecurityConfig.read(file).rateLimits()).isPresent();   // reading needs no Redis client
        assertThatThrownBy(() -> SecuritySettings.load(file, ConfigFixture.ENV::get, clock))
                .isInstanceOfSatisfying(SecurityConfigException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.INVALID_REQUEST);
                    assertThat(e.path()).isEqualTo("rateLimits.backend");
                    assertThat(e.problem()).contains("io.github.assistant-sdk:assistant-security-redis");
                });
    }

    @Test
    void aKmsKeyProviderWithoutItsOptInModuleFailsNamingTheArtifactToAdd() throws Exception {
        ObjectNode config = ConfigFixture.valid();
        config.set("keyProvider", ConfigFixture.JSON.createObjectNode().put("provider", "kms")
                .put("sealed.dir", dir.resolve("sealed").toString()));
        Path file = write(config);
        assertThatThrownBy(() -> SecuritySettings.load(file, ConfigFixture.ENV::get, clock))
                .isInstanceOfSatisfying(KeyProviderException.class, e -> {
                    assertThat(e.failure()).isEqualTo(KeyProviderException.Failure.CONFIGURATION);
                    assertThat(e.getMessage()).contains("io.github.assistant-sdk:assistant-security-kms");
                });
    }

    @Test
    void aPepperSealedInTheHsmIsResolvedThroughThePkcs11Provider() throws Exception {
        SoftHsm.require();
        KeyReference pepperRef = KeyReference.of("api-pepper", Environment.PROD);
        Path sealed = dir.resolve("sealed");
        try (Pkcs11KeyProvider sealer = new Pkcs11KeyProvider(Pkcs11Hsm.open(SoftHsm.config(SoftHsm.KEK)),
                SealedSecretSource.directory(sealed), new SecureRandom())) {
            SealedSecretSource.write(sealed, sealer.seal(pepperRef, Instant.parse("2025-01-01T00:00:00Z"), null,
                    Secret.adopt(ConfigFixture.PEPPER.getBytes(StandardCharsets.UTF_8))));
        }
        ObjectNode config = ConfigFixture.valid();
        config.set("keyProvider", ConfigFixture.JSON.createObjectNode().put("provider", "pkcs11")
                .put("sealed.dir", "sealed").put("pkcs11.library", SoftHsm.LIBRARY.toString())
                .put("pkcs11.slotListIndex", 0).put("pkcs11.keyLabel", SoftHsm.KEK)
                .put("pkcs11.pinEnv", "TEST_PIN"));
        try (SecuritySettings security = SecuritySettings.load(write(config), Map.of("TEST_PIN", SoftHsm.PIN)::get,
                clock)) {
            assertThat(steps(security).admit(ConfigFixture.KEY_SEARCH.toCharArray(), Action.CHAT, "qwen").name())
                    .isEqualTo("search-service");
        }
    }

    private static SecuritySteps steps(SecuritySettings security) {
        return new SecuritySteps(security.authenticator().orElse(null), security.authorizer().orElse(null),
                security.rateLimiter().orElse(null), security.anonymousPrincipal());
    }
}

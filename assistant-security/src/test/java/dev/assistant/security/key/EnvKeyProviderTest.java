package dev.assistant.security.key;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.assistant.api.security.Environment;
import dev.assistant.security.SecurityEvents;
import dev.assistant.security.key.KeyProviderException.Failure;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EnvKeyProviderTest {
    private static final Map<String, String> ENV = Map.of(
            "ASSISTANT_KEY_PROD_OPENAI_PROD_1", "sk-env-secret-42",
            "ASSISTANT_KEY_PROD_OPENAI_PROD_1_ISSUED_AT", "2025-01-31T00:00:00Z",
            "ASSISTANT_KEY_PROD_OPENAI_PROD_1_EXPIRES_AT", "2025-02-01T00:00:00Z",
            "ASSISTANT_KEY_DEV_NO_ISSUE", "dev-secret",
            "ASSISTANT_KEY_DEV_BAD_TIME", "dev-secret-2",
            "ASSISTANT_KEY_DEV_BAD_TIME_ISSUED_AT", "yesterday");

    private final EnvKeyProvider provider = EnvKeyProvider.of("ASSISTANT_KEY", ENV::get);

    @Test
    void resolvesSecretAndMetadataByTheNamingConvention() {
        KeyReference ref = KeyReference.of("openai.prod-1", Environment.PROD);
        assertThat(provider.variableName(ref)).isEqualTo("ASSISTANT_KEY_PROD_OPENAI_PROD_1");
        try (Credential c = provider.resolve(ref)) {
            assertThat(new String(c.secret().bytes(), StandardCharsets.UTF_8)).isEqualTo("sk-env-secret-42");
            assertThat(c.issuedAt()).isEqualTo(Instant.parse("2025-01-31T00:00:00Z"));
            assertThat(c.expiresAt()).contains(Instant.parse("2025-02-01T00:00:00Z"));
            assertThat(c.source()).isEqualTo("env");
            assertThat(c.toString()).doesNotContain("sk-env-secret-42").contains("redacted");
        }
    }

    @Test
    void theSameKeyIdInAnotherEnvironmentIsAnotherVariable() {
        assertThatThrownBy(() -> provider.resolve(KeyReference.of("openai.prod-1", Environment.DEV)))
                .isInstanceOf(KeyProviderException.class)
                .hasFieldOrPropertyWithValue("failure", Failure.KEY_NOT_FOUND)
                .hasMessageContaining("ASSISTANT_KEY_DEV_OPENAI_PROD_1");
    }

    @Test
    void missingOrUnparsableIssueTimeIsMalformed() {
        assertThatThrownBy(() -> provider.resolve(KeyReference.of("no-issue", Environment.DEV)))
                .hasFieldOrPropertyWithValue("failure", Failure.MALFORMED).hasMessageContaining("_ISSUED_AT");
        assertThatThrownBy(() -> provider.resolve(KeyReference.of("bad-time", Environment.DEV)))
                .hasFieldOrPropertyWithValue("failure", Failure.MALFORMED).hasMessageNotContaining("dev-secret");
    }

    @Test
    void closingACredentialWipesItButNotItsCopies() {
        Credential original = provider.resolve(KeyReference.of("openai.prod-1", Environment.PROD));
        Credential copy = original.copy();
        original.close();
        assertThat(original.secret().isWiped()).isTrue();
        assertThatThrownBy(() -> original.secret().bytes()).isInstanceOf(IllegalStateException.class);
        assertThat(copy.secret().bytes()).isEqualTo("sk-env-secret-42".getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void envIsTheDefaultProviderAndIsNotCached() {
        KeyProvider p = KeyProviders.create(Map.of(), ENV::get, Clock.systemUTC(), SecurityEvents.NONE);
        assertThat(p).isInstanceOf(EnvKeyProvider.class);
        assertThat(KeyProviders.create(Map.of("cache.ttl", "PT1M"), ENV::get, Clock.systemUTC(), SecurityEvents.NONE))
                .isInstanceOf(CachingKeyProvider.class);
        assertThatThrownBy(() -> KeyProviders.create(Map.of("provider", "vault"), ENV::get, Clock.systemUTC(),
                SecurityEvents.NONE)).hasMessageContaining("unknown key provider 'vault'").hasMessageContaining("pkcs11");
        assertThatThrownBy(() -> KeyProviders.create(Map.of("cache.ttl", "5 minutes"), ENV::get, Clock.systemUTC(),
                SecurityEvents.NONE)).hasMessageContaining("cache.ttl");
    }

    @Test
    void keyIdsAreRestrictedToSafeCharacters() {
        assertThatThrownBy(() -> KeyReference.of("a b", Environment.DEV)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> KeyReference.of("../etc", Environment.DEV)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("[A-Za-z0-9._-]");
    }
}

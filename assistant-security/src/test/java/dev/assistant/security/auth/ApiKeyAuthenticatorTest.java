package dev.assistant.security.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;
import dev.assistant.api.Secret;
import dev.assistant.api.security.Environment;
import dev.assistant.security.SecurityEvents;
import dev.assistant.security.lifecycle.KeyLifecycle;
import dev.assistant.security.policy.PolicyRegistry;
import dev.assistant.security.testing.MutableClock;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

class ApiKeyAuthenticatorTest {
    private static final Instant T0 = Instant.parse("2025-01-01T00:00:00Z");
    private final MutableClock clock = new MutableClock(T0);
    private final ApiKeyHasher hasher = new ApiKeyHasher(Secret.adopt("pepper-0123456789abcdef".getBytes(StandardCharsets.UTF_8)));
    private final InMemoryApiKeyStore store = new InMemoryApiKeyStore();
    private final List<String> events = new CopyOnWriteArrayList<>();
    private final PolicyRegistry policies = PolicyRegistry.builder()
            .policy("chat", "{\"version\":\"2.0\",\"statement\":[{\"effect\":\"allow\",\"action\":\"assistant:Chat\",\"resource\":\"model/*\"}]}")
            .policy("embed", "{\"version\":\"2.0\",\"statement\":[{\"effect\":\"allow\",\"action\":\"assistant:Embed\",\"resource\":\"*\"}]}")
            .attachToGroup("search", "embed")
            .build();
    private final ApiKeyAuthenticator authenticator = ApiKeyAuthenticator.builder()
            .hasher(hasher).store(store).environment(Environment.PROD).policies(policies)
            .lifecycle(KeyLifecycle.builder().clock(clock).build())
            .events(new SecurityEvents() {
                @Override
                public void authenticated(String keyId) {
                    events.add("ok:" + keyId);
                }

                @Override
                public void authenticationFailed(String reason) {
                    events.add("fail:" + reason);
                }

                @Override
                public void keyNearingRotation(String keyId, Duration remaining) {
                    events.add("rotate:" + keyId + ":" + remaining.toDays());
                }
            })
            .build();
    private final SecureRandom random = new SecureRandom();

    private char[] issue(String keyId, Environment env, Instant issuedAt, Instant expiresAt) {
        char[] key = ApiKeys.generate(random);
        store.put(record(keyId, key, env, issuedAt, expiresAt));
        return key;
    }

    private ApiKeyRecord record(String keyId, char[] key, Environment env, Instant issuedAt, Instant expiresAt) {
        return ApiKeyRecord.builder().keyId(keyId).principal("svc-" + keyId).hash(hasher.hash(key))
                .environment(env).issuedAt(issuedAt).expiresAt(expiresAt)
                .groups(Set.of("search")).policies(List.of("chat")).build();
    }

    private void assertRejected(char[] key, String reason) {
        assertThatThrownBy(() -> authenticator.authenticate(key))
                .isInstanceOf(AssistantException.class)
                .hasFieldOrPropertyWithValue("code", ErrorCode.UNAUTHENTICATED)
                .hasFieldOrPropertyWithValue("reason", reason)
                .satisfies(e -> {
                    if (key.length > 0) {
                        assertThat(e.getMessage()).doesNotContain(new String(key));
                    }
                });
    }

    @Test
    void aStoredKeyYieldsItsPrincipalWithKeyAndGroupPolicies() {
        char[] key = issue("k1", Environment.PROD, T0, null);
        KeyPrincipal p = authenticator.authenticate(key);
        assertThat(p.keyId()).isEqualTo("k1");
        assertThat(p.name()).isEqualTo("svc-k1");
        assertThat(p.environment()).isEqualTo(Environment.PROD);
        assertThat(p.groups()).containsExactly("search");
        assertThat(p.policies()).extracting(pol -> pol.name()).containsExactly("chat", "embed");
        assertThat(p.rotationDueIn()).contains(Duration.ofDays(90));
        assertThat(p.toString()).doesNotContain(new String(key));
        assertThat(events).containsExactly("ok:k1");
    }

    @Test
    void generatedKeysAreDistinctAndHashesAreKeyed() {
        char[] a = ApiKeys.generate(random);
        assertThat(new String(a)).startsWith("ak_").hasSize(46);
        assertThat(a).isNotEqualTo(ApiKeys.generate(random));
        ApiKeyHasher otherPepper = new ApiKeyHasher(Secret.adopt("another-pepper-0123456789".getBytes(StandardCharsets.UTF_8)));
        assertThat(otherPepper.hash(a)).isNotEqualTo(hasher.hash(a));
        assertThat(ApiKeys.fromHex(ApiKeys.toHex(hasher.hash(a)))).isEqualTo(hasher.hash(a));
        assertThatThrownBy(() -> new ApiKeyHasher(Secret.adopt(new byte[8]))).hasMessageContaining("16 bytes");
    }

    @Test
    void unknownAndMissingKeysAreUnauthenticated() {
        issue("k1", Environment.PROD, T0, null);
        assertRejected("ak_not-a-key-we-know".toCharArray(), "unknown_key");
        assertRejected(new char[0], "missing_key");
        assertThatThrownBy(() -> authenticator.authenticate(null)).hasFieldOrPropertyWithValue("reason", "missing_key");
        assertThat(events).containsExactly("fail:unknown_key", "fail:missing_key", "fail:missing_key");
    }

    @Test
    void aKeyOfAnotherEnvironmentIsRejected() {
        char[] devKey = issue("dev-1", Environment.DEV, T0, null);
        assertRejected(devKey, "wrong_environment");
    }

    @Test
    void temporaryKeysExpireAfterTheirExpiryPlusClockSkew() {
        char[] sts = issue("sts-1", Environment.PROD, T0, T0.plus(Duration.ofHours(1)));
        clock.set(T0.plus(Duration.ofMinutes(59)));
        assertThat(authenticator.authenticate(sts).keyId()).isEqualTo("sts-1");
        clock.set(T0.plus(Duration.ofHours(1)).plusSeconds(30)); // within the default 60 s skew
        assertThat(authenticator.authenticate(sts).keyId()).isEqualTo("sts-1");
        clock.set(T0.plus(Duration.ofHours(1)).plusSeconds(61));
        assertRejected(sts, "key_expired");
    }

    @Test
    void duringRotationOldAndNewKeysWorkSideBySideThenTheOldOneIsRotatedOut() {
        char[] oldKey = issue("svc-2025-01", Environment.PROD, T0, null);
        clock.set(T0.plus(Duration.ofDays(80)));
        char[] newKey = ApiKeys.generate(random);
        Instant retire = store.rotate("svc-2025-01", record("svc-2025-04", newKey, Environment.PROD, clock.instant(), null),
                Duration.ofDays(7), clock);
        assertThat(retire).isEqualTo(T0.plus(Duration.ofDays(87)));
        assertThat(authenticator.authenticate(oldKey).keyId()).isEqualTo("svc-2025-01");
        assertThat(authenticator.authenticate(newKey).keyId()).isEqualTo("svc-2025-04");
        clock.set(retire);
        assertRejected(oldKey, "key_rotated_out");
        assertThat(authenticator.authenticate(newKey).keyId()).isEqualTo("svc-2025-04");
    }

    @Test
    void keysNearingMaximumAgeWarnAndOldKeysAreRotatedOut() {
        char[] key = issue("aging", Environment.PROD, T0, null);
        clock.set(T0.plus(Duration.ofDays(80)));
        KeyPrincipal p = authenticator.authenticate(key);
        assertThat(p.rotationDueIn()).contains(Duration.ofDays(10));
        assertThat(events).contains("rotate:aging:10");
        clock.set(T0.plus(Duration.ofDays(90)));
        assertRejected(key, "key_rotated_out");
    }

    @Test
    void revokedKeysAreUnknown() {
        char[] key = issue("revoked", Environment.PROD, T0, null);
        assertThat(store.remove("revoked")).isTrue();
        assertRejected(key, "unknown_key");
    }

    @Test
    void hashCollisionsOnThePrefixStillCompareTheWholeHash() {
        char[] key = issue("k-prefix", Environment.PROD, T0, null);
        byte[] hash = hasher.hash(key);
        byte[] sibling = hash.clone();
        sibling[31] ^= 1; // same 8-byte prefix, different hash
        store.put(ApiKeyRecord.builder().keyId("sibling").principal("x").hash(sibling).environment(Environment.PROD)
                .issuedAt(T0).build());
        assertThat(store.findByHash(hash)).map(ApiKeyRecord::keyId).contains("k-prefix");
        assertThat(store.findByHash(sibling)).map(ApiKeyRecord::keyId).contains("sibling");
        byte[] neither = hash.clone();
        neither[20] ^= 1;
        assertThat(store.findByHash(neither)).isEmpty();
    }
}

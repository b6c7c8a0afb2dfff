package dev.assistant.security;

import dev.assistant.security.testing.SecuritySteps;
import dev.assistant.api.security.Environment;
import static org.assertj.core.api.Assertions.assertThat;

import dev.assistant.api.Secret;
import dev.assistant.security.auth.ApiKeyAuthenticator;
import dev.assistant.security.auth.ApiKeyHasher;
import dev.assistant.security.auth.ApiKeyRecord;
import dev.assistant.security.auth.InMemoryApiKeyStore;
import dev.assistant.security.key.Credential;
import dev.assistant.security.key.EnvKeyProvider;
import dev.assistant.security.key.KeyCheckResult;
import dev.assistant.security.key.KeyProvider;
import dev.assistant.security.key.KeyReference;
import dev.assistant.security.key.KeysCheck;
import dev.assistant.security.key.SealedSecret;
import dev.assistant.security.key.hsm.Pkcs11Hsm;
import dev.assistant.security.key.hsm.Pkcs11KeyProvider;
import dev.assistant.security.lifecycle.KeyLifecycle;
import dev.assistant.api.security.Action;
import dev.assistant.security.policy.PolicyAuthorizer;
import dev.assistant.security.policy.PolicyRegistry;
import dev.assistant.security.ratelimit.LocalRateLimiter;
import dev.assistant.security.ratelimit.RateLimitConfig;
import dev.assistant.security.ratelimit.RatePlan;
import dev.assistant.security.testing.SecretLeakProbe;
import dev.assistant.security.testing.MutableClock;
import dev.assistant.security.testing.SoftHsm;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Plants secrets (a service secret, an API key, the pepper, the HSM PIN), runs every path of the module (success
 * and each failure; the KMS provider's paths are in its own module's test) with all logging captured, and looks for the secrets in every log line, exception message,
 * exception {@code toString()} (with causes) and object {@code toString()}.
 */
class NoSecretLeakTest {
    private static final String SERVICE_SECRET = "PLANTED-service-secret-" + Long.toHexString(new SecureRandom().nextLong());
    private static final String API_KEY = "ak_PLANTED-api-key-" + Long.toHexString(new SecureRandom().nextLong());
    private static final String PEPPER = "PLANTED-pepper-" + Long.toHexString(new SecureRandom().nextLong());
    private static final Instant T0 = Instant.parse("2025-02-01T00:00:00Z");

    private final SecretLeakProbe probe = new SecretLeakProbe();

    @Test
    void noSecretAppearsInAnyLogLineExceptionOrToString() throws Exception {
        SoftHsm.require();
        probe.capture(NoSecretLeakTest.class, () -> {
            envPaths();
            hsmPaths();
            callerPaths();
        });
        // The paths really ran and logged (rotation warnings, failures at debug).
        assertThat(probe.all()).contains("must be rotated").contains("authentication failed");
        probe.assertNoneContain(List.of(SERVICE_SECRET, API_KEY, PEPPER, SoftHsm.PIN));
    }

    private void envPaths() {
        Map<String, String> env = new HashMap<>(Map.of(
                "ASSISTANT_KEY_PROD_SVC", SERVICE_SECRET,
                "ASSISTANT_KEY_PROD_SVC_ISSUED_AT", T0.toString(),
                "ASSISTANT_KEY_PROD_NO_TIME", SERVICE_SECRET,
                "ASSISTANT_KEY_PROD_BAD_TIME", SERVICE_SECRET,
                "ASSISTANT_KEY_PROD_BAD_TIME_ISSUED_AT", SERVICE_SECRET));
        EnvKeyProvider provider = EnvKeyProvider.of("ASSISTANT_KEY", env::get);
        probe.observe(provider);
        try (Credential c = provider.resolve(KeyReference.of("svc", Environment.PROD))) {
            probe.observe(c);
            probe.observe(c.secret());
        }
        for (String id : List.of("no-time", "bad-time", "absent")) {
            probe.attempt(() -> provider.resolve(KeyReference.of(id, Environment.PROD)));
        }
        KeysCheck check = new KeysCheck(KeyLifecycle.builder().clock(new MutableClock(T0.plus(Duration.ofDays(85)))).build(),
                Environment.PROD);
        for (KeyCheckResult r : check.check(provider, List.of(KeyReference.of("svc", Environment.PROD),
                KeyReference.of("bad-time", Environment.PROD), KeyReference.of("absent", Environment.PROD)))) {
            probe.observe(r);
            probe.text(r.summary());
        }
    }

    private void hsmPaths() {
        Map<KeyReference, String> sealed = new HashMap<>();
        try (Pkcs11KeyProvider hsm = new Pkcs11KeyProvider(Pkcs11Hsm.open(SoftHsm.config(SoftHsm.KEK)),
                ref -> Optional.ofNullable(sealed.get(ref)), new SecureRandom())) {
            probe.observe(hsm);
            probe.observe(SoftHsm.config(SoftHsm.KEK));
            KeyReference ref = KeyReference.of("svc", Environment.PROD);
            SealedSecret envelope = hsm.seal(ref, T0, null, Secret.adopt(SERVICE_SECRET.getBytes(StandardCharsets.UTF_8)));
            probe.observe(envelope);
            probe.text(envelope.toJson());
            sealed.put(ref, envelope.toJson());
            try (Credential c = hsm.resolve(ref)) {
                probe.observe(c);
            }
            KeyReference dev = KeyReference.of("svc", Environment.DEV);
            sealed.put(dev, new SealedSecret(envelope.scheme(), dev, T0, null, envelope.kek(), envelope.iv(),
                    envelope.ciphertext()).toJson());
            probe.attempt(() -> hsm.resolve(dev));
            sealed.put(KeyReference.of("junk", Environment.PROD), "{\"v\":1,\"ct\":\"" + SERVICE_SECRET + "\"}");
            probe.attempt(() -> hsm.resolve(KeyReference.of("junk", Environment.PROD)));
            probe.attempt(() -> Pkcs11Hsm.open(SoftHsm.config("missing-label")));
        }
    }

    private void callerPaths() {
        MutableClock clock = new MutableClock(T0);
        ApiKeyHasher hasher = new ApiKeyHasher(Secret.adopt(PEPPER.getBytes(StandardCharsets.UTF_8)));
        probe.observe(hasher);
        InMemoryApiKeyStore store = new InMemoryApiKeyStore();
        ApiKeyRecord record = ApiKeyRecord.builder().keyId("caller").principal("svc").hash(hasher.hash(API_KEY.toCharArray()))
                .environment(Environment.PROD).issuedAt(T0).expiresAt(T0.plus(Duration.ofDays(100)))
                .policies(List.of("guide")).build();
        store.put(record);
        probe.observe(record);
        ApiKeyAuthenticator authenticator = ApiKeyAuthenticator.builder().hasher(hasher).store(store)
                .environment(Environment.PROD).lifecycle(KeyLifecycle.builder().clock(clock).build())
                .policies(PolicyRegistry.builder().policy("guide", dev.assistant.security.policy.PolicyAuthorizerTest.GUIDE).build()).build();
        SecuritySteps guard = new SecuritySteps(authenticator, new PolicyAuthorizer(SecurityEvents.NONE),
                LocalRateLimiter.create(RateLimitConfig.builder().defaultPlan(RatePlan.perSecond(1)).build(),
                        SecurityEvents.NONE, clock), null);
        probe.observe(guard.admit(API_KEY.toCharArray(), Action.CHAT, "qwen"));
        probe.attempt(() -> guard.admit(API_KEY.toCharArray(), Action.CHAT, "qwen"));          // rate limited
        probe.attempt(() -> guard.admit(API_KEY.toCharArray(), Action.CHAT, "internal-x"));    // explicit deny
        probe.attempt(() -> guard.admit(API_KEY.toCharArray(), Action.EMBED, "qwen"));         // default deny
        probe.attempt(() -> guard.admit((API_KEY + "x").toCharArray(), Action.CHAT, "qwen"));  // unknown key
        probe.attempt(() -> guard.admit(SERVICE_SECRET.toCharArray(), Action.CHAT, "qwen"));   // a secret presented as key
        clock.advance(Duration.ofDays(80));
        probe.observe(authenticator.authenticate(API_KEY.toCharArray()));                      // rotation warning
        clock.advance(Duration.ofDays(11));
        probe.attempt(() -> authenticator.authenticate(API_KEY.toCharArray()));                // rotated out
        store.put(record.toBuilder().environment(Environment.DEV).build());
        probe.attempt(() -> authenticator.authenticate(API_KEY.toCharArray()));                // wrong environment
        store.put(record.toBuilder().keyId("caller").expiresAt(T0.plusSeconds(1)).build());
        probe.attempt(() -> authenticator.authenticate(API_KEY.toCharArray()));                // expired
        probe.attempt(() -> dev.assistant.security.policy.PolicyParser.standard().parse("p",
                "{\"version\":\"2.0\",\"statement\":[{\"effect\":\"" + SERVICE_SECRET + "\",\"action\":\"*\",\"resource\":\"*\"}]}"));
    }
}

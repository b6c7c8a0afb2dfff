package dev.assistant.security.kms;

import static org.assertj.core.api.Assertions.assertThat;

import dev.assistant.api.Secret;
import dev.assistant.api.security.Environment;
import dev.assistant.security.key.CachingKeyProvider;
import dev.assistant.security.key.Credential;
import dev.assistant.security.key.KeyReference;
import dev.assistant.security.key.SealedSecret;
import dev.assistant.security.testing.MutableClock;
import dev.assistant.security.testing.SecretLeakProbe;
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
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;

/**
 * Plants a service secret, runs the KMS provider's paths (seal, resolve, an envelope moved to another
 * environment, an outage served from the cache and one past the cache) with all logging captured, and looks for
 * the secret (and the test server's AWS secret key) in every log line, exception and {@code toString()}.
 */
class KmsNoSecretLeakTest {
    private static final String SERVICE_SECRET = "PLANTED-service-secret-" + Long.toHexString(new SecureRandom().nextLong());
    private static final Instant T0 = Instant.parse("2025-02-01T00:00:00Z");

    private final SecretLeakProbe probe = new SecretLeakProbe();

    @Test
    void noSecretAppearsInAnyLogLineExceptionOrToString() throws Exception {
        SoftHsm.require();
        probe.capture(KmsNoSecretLeakTest.class, this::kmsPaths);
        // The paths really ran and logged (the outage served from the cache).
        assertThat(probe.all()).contains("serving the cached credential");
        probe.assertNoneContain(List.of(SERVICE_SECRET, KmsTestServer.SECRET_KEY));
    }

    private void kmsPaths() {
        MutableClock clock = new MutableClock(T0);
        Map<KeyReference, String> sealed = new HashMap<>();
        KmsTestServer server = KmsTestServer.start();
        try {
            AwsKmsBackend backend = AwsKmsBackend.builder().endpoint(server.endpoint()).region(KmsTestServer.REGION)
                    .maxAttempts(1).credentials(StaticCredentialsProvider.create(
                            AwsBasicCredentials.create(KmsTestServer.ACCESS_KEY, KmsTestServer.SECRET_KEY))).build();
            KmsKeyProvider kms = new KmsKeyProvider(backend, ref -> Optional.ofNullable(sealed.get(ref)));
            probe.observe(kms);
            KeyReference ref = KeyReference.of("svc", Environment.PROD);
            SealedSecret envelope = kms.seal(ref, T0, null, Secret.adopt(SERVICE_SECRET.getBytes(StandardCharsets.UTF_8)),
                    KmsTestServer.KEY_ID);
            probe.observe(envelope);
            probe.text(envelope.toJson());
            sealed.put(ref, envelope.toJson());
            KeyReference dev = KeyReference.of("svc", Environment.DEV);
            sealed.put(dev, new SealedSecret(envelope.scheme(), dev, T0, null, envelope.kek(), null,
                    envelope.ciphertext()).toJson());
            probe.attempt(() -> kms.resolve(dev));
            try (CachingKeyProvider cached = CachingKeyProvider.builder(kms).ttl(Duration.ofMinutes(5))
                    .refreshAfter(Duration.ofMinutes(1)).clock(clock).build()) {
                probe.observe(cached);
                try (Credential c = cached.resolve(ref)) {
                    probe.observe(c);
                }
                server.close();
                clock.advance(Duration.ofMinutes(2));
                try (Credential c = cached.resolve(ref)) {
                    probe.observe(c);
                }
                clock.advance(Duration.ofMinutes(4));
                probe.attempt(() -> cached.resolve(ref));
            }
        } finally {
            server.close();
        }
    }
}

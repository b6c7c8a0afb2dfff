package dev.assistant.security.kms;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.assistant.api.Secret;
import dev.assistant.api.security.Environment;
import dev.assistant.security.SecurityEvents;
import dev.assistant.security.key.CachingKeyProvider;
import dev.assistant.security.key.Credential;
import dev.assistant.security.key.KeyProviderException;
import dev.assistant.security.key.KeyProviderException.Failure;
import dev.assistant.security.key.KeyReference;
import dev.assistant.security.key.SealedSecret;
import dev.assistant.security.kms.KmsTestServer;
import dev.assistant.security.testing.MutableClock;
import dev.assistant.security.testing.SoftHsm;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kms.KmsClient;
import software.amazon.awssdk.services.kms.model.DataKeySpec;
import software.amazon.awssdk.services.kms.model.KeyState;

/** The real AWS SDK KmsClient against a local KMS-protocol server whose master key is in SoftHSM. */
class KmsKeyProviderTest {
    private static final Instant ISSUED = Instant.parse("2025-05-01T00:00:00Z");
    private static final KeyReference REF = KeyReference.of("llm-upstream", Environment.PROD);

    private KmsTestServer server;
    private final Map<KeyReference, String> store = new HashMap<>();

    @BeforeEach
    void startServer() {
        SoftHsm.require();
        server = KmsTestServer.start();
    }

    @AfterEach
    void stopServer() {
        if (server != null) { // null when startServer skipped the test (no SoftHSM here)
            server.close();
        }
    }

    private AwsKmsBackend backend(String accessKey) {
        return AwsKmsBackend.builder()
                .endpoint(server.endpoint())
                .region(KmsTestServer.REGION)
                .credentials(StaticCredentialsProvider.create(
                        AwsBasicCredentials.create(accessKey, KmsTestServer.SECRET_KEY)))
                .maxAttempts(1)
                .callTimeout(Duration.ofSeconds(3))
                .build();
    }

    private KmsKeyProvider provider() {
        return new KmsKeyProvider(backend(KmsTestServer.ACCESS_KEY), ref -> Optional.ofNullable(store.get(ref)));
    }

    private void seal(KmsKeyProvider provider, KeyReference ref, String secret, String masterKey) {
        store.put(ref, provider.seal(ref, ISSUED, null, Secret.adopt(secret.getBytes(StandardCharsets.UTF_8)),
                masterKey).toJson());
    }

    @Test
    void aSecretEncryptedWithKmsResolvesThroughDecryptWithItsEncryptionContext() {
        try (KmsKeyProvider provider = provider()) {
            seal(provider, REF, "upstream-api-secret-1", KmsTestServer.ALIAS);
            SealedSecret sealed = SealedSecret.parse(store.get(REF));
            assertThat(sealed.scheme()).isEqualTo(SealedSecret.SCHEME_KMS);
            assertThat(sealed.encryptionContext()).containsEntry("assistant:keyId", "llm-upstream")
                    .containsEntry("assistant:environment", "prod");
            try (Credential credential = provider.resolve(REF)) {
                assertThat(new String(credential.secret().bytes(), StandardCharsets.UTF_8))
                        .isEqualTo("upstream-api-secret-1");
                assertThat(credential.source()).isEqualTo("kms");
                assertThat(credential.issuedAt()).isEqualTo(ISSUED);
            }
            provider.backend().checkKey(KmsTestServer.KEY_ID);
        }
    }

    @Test
    void theServerSpeaksGenerateDataKeyAndDescribeKeyToTheRealClient() {
        try (KmsClient client = KmsClient.builder()
                .endpointOverride(server.endpoint())
                .region(Region.of(KmsTestServer.REGION))
                .credentialsProvider(StaticCredentialsProvider.create(
                        AwsBasicCredentials.create(KmsTestServer.ACCESS_KEY, KmsTestServer.SECRET_KEY)))
                .httpClientBuilder(Apache5HttpClient.builder())
                .build()) {
            var dataKey = client.generateDataKey(r -> r.keyId(KmsTestServer.ALIAS).keySpec(DataKeySpec.AES_256)
                    .encryptionContext(Map.of("purpose", "test")));
            assertThat(dataKey.plaintext().asByteArray()).hasSize(32);
            var decrypted = client.decrypt(r -> r.ciphertextBlob(dataKey.ciphertextBlob())
                    .encryptionContext(Map.of("purpose", "test")));
            assertThat(decrypted.plaintext().asByteArray()).isEqualTo(dataKey.plaintext().asByteArray());
            var description = client.describeKey(r -> r.keyId(KmsTestServer.ALIAS));
            assertThat(description.keyMetadata().keyState()).isEqualTo(KeyState.ENABLED);
            var encrypted = client.encrypt(r -> r.keyId(KmsTestServer.KEY_ID).plaintext(SdkBytes.fromUtf8String("x")));
            assertThat(encrypted.keyId()).endsWith(KmsTestServer.KEY_ID);
        }
    }

    @Test
    void kmsErrorResponsesBecomeTypedFailures() {
        try (KmsKeyProvider provider = provider()) {
            seal(provider, REF, "typed-errors-secret", KmsTestServer.KEY_ID);

            // Replayed under another environment: the encryption context differs, KMS refuses.
            KeyReference dev = KeyReference.of("llm-upstream", Environment.DEV);
            SealedSecret prod = SealedSecret.parse(store.get(REF));
            store.put(dev, new SealedSecret(prod.scheme(), dev, prod.issuedAt(), null, prod.kek(), null,
                    prod.ciphertext()).toJson());
            assertFailure(() -> provider.resolve(dev), Failure.DECRYPT_FAILED, "InvalidCiphertextException");

            // Unknown master key.
            assertThatThrownBy(() -> provider.seal(KeyReference.of("x", Environment.PROD), ISSUED, null,
                    Secret.adopt(new byte[] {1}), "no-such-key"))
                    .hasFieldOrPropertyWithValue("failure", Failure.KEY_NOT_FOUND);
            assertFailure(() -> provider.backend().checkKey("no-such-key"), Failure.KEY_NOT_FOUND, "NotFoundException");

            // Disabled master key.
            server.disable(KmsTestServer.KEY_ID);
            assertFailure(() -> provider.resolve(REF), Failure.KEY_DISABLED, "DisabledException");
            assertFailure(() -> provider.backend().checkKey(KmsTestServer.KEY_ID), Failure.KEY_DISABLED, "Disabled");
        }
        // Credentials the server does not know.
        try (KmsKeyProvider stranger = new KmsKeyProvider(backend("AKIDSTRANGER"), ref -> Optional.of(store.get(REF)))) {
            assertFailure(() -> stranger.resolve(REF), Failure.ACCESS_DENIED, "UnrecognizedClientException");
        }
    }

    @Test
    void anUnreachableKmsIsATransientFailure() {
        try (KmsKeyProvider provider = provider()) {
            seal(provider, REF, "outage-secret", KmsTestServer.KEY_ID);
            server.close();
            assertFailure(() -> provider.resolve(REF), Failure.UNAVAILABLE, "could not reach");
            server = KmsTestServer.start(); // for @AfterEach
        }
    }

    @Test
    void theCacheServesDuringAnOutageUntilItsTtlEndsThenFailsTyped() {
        MutableClock clock = MutableClock.at("2025-06-01T00:00:00Z");
        List<String> failures = new CopyOnWriteArrayList<>();
        SecurityEvents events = new SecurityEvents() {
            @Override
            public void keyProviderFailure(String provider, String failure, boolean servedFromCache) {
                failures.add(provider + ":" + failure + ":" + servedFromCache);
            }
        };
        KmsKeyProvider kms = provider();
        seal(kms, REF, "cached-secret", KmsTestServer.KEY_ID);
        try (CachingKeyProvider cached = CachingKeyProvider.builder(kms).ttl(Duration.ofMinutes(10))
                .refreshAfter(Duration.ofMinutes(2)).clock(clock).events(events).build()) {
            readsAs(cached.resolve(REF), "cached-secret");
            readsAs(cached.resolve(REF), "cached-secret");
            assertThat(server.decryptCalls()).isEqualTo(1);

            clock.advance(Duration.ofMinutes(3)); // past refreshAfter: asks KMS again
            readsAs(cached.resolve(REF), "cached-secret");
            assertThat(server.decryptCalls()).isEqualTo(2);

            server.close(); // outage
            clock.advance(Duration.ofMinutes(5)); // refresh due, TTL (10 min from the last load) not over
            readsAs(cached.resolve(REF), "cached-secret");
            assertThat(failures).containsExactly("kms:unavailable:true");

            clock.advance(Duration.ofMinutes(6)); // 11 min after the last successful load: TTL over
            assertThatThrownBy(() -> cached.resolve(REF)).isInstanceOf(KeyProviderException.class)
                    .hasFieldOrPropertyWithValue("failure", Failure.UNAVAILABLE);
            assertThat(failures).containsExactly("kms:unavailable:true", "kms:unavailable:false");
        } finally {
            server = KmsTestServer.start();
        }
    }

    private static void readsAs(Credential credential, String expected) {
        try (credential) {
            assertThat(new String(credential.secret().bytes(), StandardCharsets.UTF_8)).isEqualTo(expected);
        }
    }

    private static void assertFailure(org.assertj.core.api.ThrowableAssert.ThrowingCallable call, Failure failure,
                                      String messagePart) {
        assertThatThrownBy(call).isInstanceOf(KeyProviderException.class)
                .hasFieldOrPropertyWithValue("failure", failure)
                .hasMessageContaining(messagePart);
    }
}

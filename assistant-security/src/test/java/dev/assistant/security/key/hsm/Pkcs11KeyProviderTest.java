package dev.assistant.security.key.hsm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.assistant.api.Secret;
import dev.assistant.api.security.Environment;
import dev.assistant.security.key.Credential;
import dev.assistant.security.key.KeyProvider;
import dev.assistant.security.key.KeyProviderException;
import dev.assistant.security.key.KeyProviderException.Failure;
import dev.assistant.security.key.KeyProviders;
import dev.assistant.security.key.KeyReference;
import dev.assistant.security.key.SealedSecret;
import dev.assistant.security.key.SealedSecretSource;
import dev.assistant.security.SecurityEvents;
import dev.assistant.security.testing.ChildJvm;
import dev.assistant.security.testing.SoftHsm;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class Pkcs11KeyProviderTest {
    private static final KeyReference SVC_PROD = KeyReference.of("svc-a", Environment.PROD);
    private static final Instant ISSUED = Instant.parse("2025-03-01T00:00:00Z");
    private static Pkcs11KeyProvider provider;
    private static final Map<KeyReference, String> store = new HashMap<>();

    @BeforeAll
    static void openHsm() {
        SoftHsm.require();
        provider = new Pkcs11KeyProvider(Pkcs11Hsm.open(SoftHsm.config(SoftHsm.KEK)), ref -> java.util.Optional.ofNullable(store.get(ref)),
                new SecureRandom());
    }

    @AfterAll
    static void closeHsm() {
        if (provider != null) {
            provider.close();
        }
    }

    private static SealedSecret sealAndStore(KeyReference ref, String secret, Instant expires) {
        SealedSecret sealed = provider.seal(ref, ISSUED, expires,
                Secret.adopt(secret.getBytes(StandardCharsets.UTF_8)));
        store.put(ref, sealed.toJson());
        return sealed;
    }

    @Test
    void sealedSecretResolvesToTheSameBytesWithMetadata() {
        Instant expires = ISSUED.plusSeconds(3600);
        sealAndStore(SVC_PROD, "sk-live-roundtrip-1", expires);
        try (Credential credential = provider.resolve(SVC_PROD)) {
            assertThat(new String(credential.secret().bytes(), StandardCharsets.UTF_8)).isEqualTo("sk-live-roundtrip-1");
            assertThat(credential.keyId()).isEqualTo("svc-a");
            assertThat(credential.environment()).isEqualTo(Environment.PROD);
            assertThat(credential.issuedAt()).isEqualTo(ISSUED);
            assertThat(credential.expiresAt()).contains(expires);
            assertThat(credential.source()).isEqualTo("pkcs11");
            assertThat(credential.toString()).doesNotContain("sk-live");
        }
    }

    @Test
    void envelopeHasA12ByteRandomIvAndNoPlaintext() {
        SealedSecret a = sealAndStore(KeyReference.of("iv-a", Environment.DEV), "same-secret-value", null);
        SealedSecret b = sealAndStore(KeyReference.of("iv-b", Environment.DEV), "same-secret-value", null);
        assertThat(a.iv()).hasSize(12);
        assertThat(a.iv()).isNotEqualTo(b.iv());
        assertThat(a.ciphertext()).hasSize("same-secret-value".length() + 16);
        assertThat(a.toJson()).doesNotContain("same-secret-value")
                .doesNotContain(Base64.getEncoder().encodeToString("same-secret-value".getBytes(StandardCharsets.UTF_8)));
        assertThat(SealedSecret.parse(a.toJson()).toJson()).isEqualTo(a.toJson());
    }

    @Test
    void theKeyEncryptionKeyCannotLeaveTheToken() throws Exception {
        Pkcs11Hsm hsm = Pkcs11Hsm.open(SoftHsm.config(SoftHsm.KEK));
        try {
            KeyStore ks = KeyStore.getInstance("PKCS11", hsm.provider());
            ks.load(null, SoftHsm.PIN.toCharArray());
            assertThat(ks.getKey(SoftHsm.KEK, null).getEncoded()).isNull();
        } finally {
            hsm.close();
        }
    }

    @Test
    void anEnvelopeMovedToAnotherEnvironmentOrKeyIdDoesNotDecrypt() {
        SealedSecret sealed = sealAndStore(KeyReference.of("moved", Environment.DEV), "dev-only-secret", null);
        // An attacker copies the dev envelope and relabels it as prod: the associated data no longer matches.
        KeyReference prod = KeyReference.of("moved", Environment.PROD);
        SealedSecret relabelled = new SealedSecret(sealed.scheme(), prod, sealed.issuedAt(), null, sealed.kek(),
                sealed.iv(), sealed.ciphertext());
        store.put(prod, relabelled.toJson());
        assertThatThrownBy(() -> provider.resolve(prod))
                .isInstanceOf(KeyProviderException.class)
                .satisfies(e -> assertThat(((KeyProviderException) e).failure()).isEqualTo(Failure.DECRYPT_FAILED));
        // Stored under another name without relabelling: refused before decrypting.
        KeyReference other = KeyReference.of("other-name", Environment.DEV);
        store.put(other, sealed.toJson());
        assertThatThrownBy(() -> provider.resolve(other)).hasMessageContaining("envelope is for moved@dev");
    }

    @Test
    void anEditedExpiryOrTamperedCiphertextDoesNotDecrypt() {
        KeyReference ref = KeyReference.of("tamper", Environment.TEST);
        SealedSecret sealed = sealAndStore(ref, "tamper-secret", ISSUED.plusSeconds(60));
        SealedSecret extended = new SealedSecret(sealed.scheme(), ref, ISSUED, ISSUED.plusSeconds(86_400 * 365),
                sealed.kek(), sealed.iv(), sealed.ciphertext());
        store.put(ref, extended.toJson());
        assertThatThrownBy(() -> provider.resolve(ref)).hasFieldOrPropertyWithValue("failure", Failure.DECRYPT_FAILED);
        byte[] ct = sealed.ciphertext();
        ct[0] ^= 1;
        store.put(ref, new SealedSecret(sealed.scheme(), ref, ISSUED, ISSUED.plusSeconds(60), sealed.kek(),
                sealed.iv(), ct).toJson());
        assertThatThrownBy(() -> provider.resolve(ref)).hasFieldOrPropertyWithValue("failure", Failure.DECRYPT_FAILED);
    }

    @Test
    void anEnvelopeSealedUnderAnotherHsmKeyIsAConfigurationError() {
        KeyReference ref = KeyReference.of("other-kek", Environment.PROD);
        try (Pkcs11KeyProvider other = new Pkcs11KeyProvider(Pkcs11Hsm.open(SoftHsm.config(SoftHsm.OTHER_KEK)),
                r -> java.util.Optional.empty(), new SecureRandom())) {
            store.put(ref, other.seal(ref, ISSUED, null, Secret.adopt(new byte[] {1, 2, 3})).toJson());
        }
        assertThatThrownBy(() -> provider.resolve(ref)).hasFieldOrPropertyWithValue("failure", Failure.CONFIGURATION)
                .hasMessageContaining(SoftHsm.OTHER_KEK);
    }

    @Test
    void missingAndMalformedEnvelopesAreTypedFailures() {
        assertThatThrownBy(() -> provider.resolve(KeyReference.of("absent", Environment.PROD)))
                .hasFieldOrPropertyWithValue("failure", Failure.KEY_NOT_FOUND);
        KeyReference ref = KeyReference.of("garbled", Environment.PROD);
        store.put(ref, "{\"v\":1,\"scheme\":\"pkcs11-aes-256-gcm\",\"kid\":\"garbled\"}");
        assertThatThrownBy(() -> provider.resolve(ref)).hasFieldOrPropertyWithValue("failure", Failure.MALFORMED)
                .hasMessageContaining("'env'");
    }

    @Test
    void aWrongPinIsAccessDeniedAndAnUnknownLabelAConfigurationError() {
        SoftHsm.require();
        // PKCS#11 logins are per process: this JVM is logged in already, so a fresh JVM tries the wrong PIN.
        String probe = ChildJvm.output(ChildJvm.start(WrongPinProbe.class, SoftHsm.KEK, "not-the-pin"), 60);
        assertThat(probe).startsWith("ACCESS_DENIED").contains("check the PIN").doesNotContain("not-the-pin");
        assertThatThrownBy(() -> Pkcs11Hsm.open(SoftHsm.config("no-such-key")))
                .hasFieldOrPropertyWithValue("failure", Failure.CONFIGURATION);
        var wrongPin = Pkcs11Config.builder().keyLabel(SoftHsm.KEK).pin("not-the-pin".toCharArray()).build();
        assertThat(wrongPin.toString()).doesNotContain("not-the-pin").contains("pin=redacted");
    }

    @Test
    void settingsSelectTheProviderAndItReadsTheSealedDirectory(@TempDir Path dir) throws Exception {
        KeyReference ref = KeyReference.of("from-dir", Environment.PROD);
        SealedSecretSource.write(dir, provider.seal(ref, ISSUED, null, Secret.adopt("dir-secret".getBytes(StandardCharsets.UTF_8))));
        assertThat(Files.readString(dir.resolve("prod/from-dir.json"))).contains("\"kid\":\"from-dir\"");
        Map<String, String> settings = Map.of("provider", "pkcs11", "pkcs11.keyLabel", SoftHsm.KEK,
                "pkcs11.library", SoftHsm.LIBRARY.toString(), "sealed.dir", dir.toString());
        Map<String, String> env = Map.of("ASSISTANT_PKCS11_PIN", SoftHsm.PIN);
        try (KeyProvider configured = KeyProviders.create(settings, env::get, Clock.systemUTC(), SecurityEvents.NONE);
             Credential c = configured.resolve(ref)) {
            assertThat(configured.name()).isEqualTo("pkcs11");
            assertThat(c.secret().bytes()).isEqualTo("dir-secret".getBytes(StandardCharsets.UTF_8));
        }
        assertThatThrownBy(() -> KeyProviders.create(settings, name -> null, Clock.systemUTC(), SecurityEvents.NONE))
                .hasMessageContaining("ASSISTANT_PKCS11_PIN");
    }
}

package dev.assistant.security.kms;

import dev.assistant.api.Secret;
import dev.assistant.security.key.Credential;
import dev.assistant.security.key.KeyProvider;
import dev.assistant.security.key.KeyProviderException;
import dev.assistant.security.key.KeyProviderException.Failure;
import dev.assistant.security.key.KeyReference;
import dev.assistant.security.key.SealedSecret;
import dev.assistant.security.key.SealedSecretSource;
import java.time.Instant;
import java.util.Objects;

/**
 * Resolves secrets encrypted by a cloud KMS (scheme {@value SealedSecret#SCHEME_KMS}): the stored
 * {@link SealedSecret} holds the KMS ciphertext blob and the master key id; {@code Decrypt} is called with an
 * encryption context of key id, environment, issue time and expiry, so a blob cannot be replayed under another
 * key id or environment.
 *
 * <p>Generic over {@link KmsBackend}: AWS is {@link AwsKmsBackend}; another cloud is one more backend class.
 * Put a {@link dev.assistant.security.key.CachingKeyProvider} in front to ride out KMS outages.
 */
public final class KmsKeyProvider implements KeyProvider {
    private final KmsBackend backend;
    private final SealedSecretSource source;

    /** @param backend owned by this provider (closed with it) */
    public KmsKeyProvider(KmsBackend backend, SealedSecretSource source) {
        this.backend = Objects.requireNonNull(backend, "backend");
        this.source = Objects.requireNonNull(source, "source");
    }

    @Override
    public String name() {
        return "kms";
    }

    public KmsBackend backend() {
        return backend;
    }

    @Override
    public Credential resolve(KeyReference reference) {
        String json = source.find(reference).orElseThrow(() -> new KeyProviderException(Failure.KEY_NOT_FOUND,
                "key " + reference + " not found: no sealed secret for it"));
        SealedSecret sealed = SealedSecret.parse(json);
        if (!SealedSecret.SCHEME_KMS.equals(sealed.scheme())) {
            throw new KeyProviderException(Failure.MALFORMED,
                    "key " + reference + ": sealed with scheme '" + sealed.scheme() + "', expected " + SealedSecret.SCHEME_KMS);
        }
        if (!sealed.reference().equals(reference)) {
            throw new KeyProviderException(Failure.DECRYPT_FAILED,
                    "key " + reference + ": the stored envelope is for " + sealed.reference());
        }
        byte[] plaintext = backend.decrypt(sealed.kek(), sealed.ciphertext(), sealed.encryptionContext());
        return new Credential(reference, Secret.adopt(plaintext), sealed.issuedAt(),
                sealed.expiresAt().orElse(null), name());
    }

    /** Encrypts {@code secret} with KMS master key {@code masterKeyId} for {@code reference}. */
    public SealedSecret seal(KeyReference reference, Instant issuedAt, Instant expiresAt, Secret secret,
                             String masterKeyId) {
        byte[] plaintext = secret.bytes();
        try {
            byte[] blob = backend.encrypt(masterKeyId, plaintext,
                    SealedSecret.encryptionContext(reference, issuedAt, expiresAt));
            return new SealedSecret(SealedSecret.SCHEME_KMS, reference, issuedAt, expiresAt, masterKeyId, null, blob);
        } finally {
            java.util.Arrays.fill(plaintext, (byte) 0);
        }
    }

    @Override
    public void close() {
        backend.close();
    }

    @Override
    public String toString() {
        return "KmsKeyProvider[" + backend.name() + "]";
    }
}

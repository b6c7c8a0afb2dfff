package dev.assistant.security.key.hsm;

import dev.assistant.api.Secret;
import dev.assistant.security.key.Credential;
import dev.assistant.security.key.KeyProvider;
import dev.assistant.security.key.KeyProviderException;
import dev.assistant.security.key.KeyProviderException.Failure;
import dev.assistant.security.key.KeyReference;
import dev.assistant.security.key.SealedSecret;
import dev.assistant.security.key.SealedSecretSource;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Objects;

/**
 * Resolves envelope-encrypted secrets with a key-encryption key held in a PKCS#11 HSM.
 *
 * <p>Each secret is stored as a {@link SealedSecret} of scheme {@value SealedSecret#SCHEME_PKCS11}: AES-256-GCM
 * under the HSM's non-extractable key, 12-byte random IV, key id, environment, issue time and expiry bound as
 * associated data. {@link #seal} makes such envelopes (the CLI's encrypt command uses it).
 */
public final class Pkcs11KeyProvider implements KeyProvider {
    private final Pkcs11Hsm hsm;
    private final SealedSecretSource source;
    private final SecureRandom random;

    /**
     * @param hsm    owned by this provider (closed with it)
     * @param random source of IVs for {@link #seal}
     */
    public Pkcs11KeyProvider(Pkcs11Hsm hsm, SealedSecretSource source, SecureRandom random) {
        this.hsm = Objects.requireNonNull(hsm, "hsm");
        this.source = Objects.requireNonNull(source, "source");
        this.random = Objects.requireNonNull(random, "random");
    }

    @Override
    public String name() {
        return "pkcs11";
    }

    @Override
    public Credential resolve(KeyReference reference) {
        String json = source.find(reference).orElseThrow(() -> new KeyProviderException(Failure.KEY_NOT_FOUND,
                "key " + reference + " not found: no sealed secret for it"));
        SealedSecret sealed = SealedSecret.parse(json);
        if (!SealedSecret.SCHEME_PKCS11.equals(sealed.scheme())) {
            throw new KeyProviderException(Failure.MALFORMED,
                    "key " + reference + ": sealed with scheme '" + sealed.scheme() + "', expected " + SealedSecret.SCHEME_PKCS11);
        }
        if (!sealed.reference().equals(reference)) {
            throw new KeyProviderException(Failure.DECRYPT_FAILED,
                    "key " + reference + ": the stored envelope is for " + sealed.reference());
        }
        if (!sealed.kek().equals(hsm.keyLabel())) {
            throw new KeyProviderException(Failure.CONFIGURATION, "key " + reference + " is sealed under HSM key '"
                    + sealed.kek() + "' but the provider uses '" + hsm.keyLabel() + "'");
        }
        byte[] plaintext = hsm.decrypt(sealed.iv(), sealed.associatedData(), sealed.ciphertext());
        return new Credential(reference, Secret.adopt(plaintext), sealed.issuedAt(),
                sealed.expiresAt().orElse(null), name());
    }

    /**
     * Encrypts {@code secret} under the HSM key for {@code reference}.
     *
     * @param expiresAt {@code null} for no fixed expiry
     * @return the envelope; store its {@link SealedSecret#toJson()} where the {@link SealedSecretSource} finds it
     */
    public SealedSecret seal(KeyReference reference, Instant issuedAt, Instant expiresAt, Secret secret) {
        byte[] iv = new byte[Pkcs11Hsm.IV_BYTES];
        random.nextBytes(iv);
        SealedSecret header = new SealedSecret(SealedSecret.SCHEME_PKCS11, reference, issuedAt, expiresAt,
                hsm.keyLabel(), iv, new byte[0]);
        byte[] plaintext = secret.bytes();
        try {
            byte[] ciphertext = hsm.encrypt(iv, header.associatedData(), plaintext);
            return new SealedSecret(SealedSecret.SCHEME_PKCS11, reference, issuedAt, expiresAt, hsm.keyLabel(), iv,
                    ciphertext);
        } finally {
            java.util.Arrays.fill(plaintext, (byte) 0);
        }
    }

    @Override
    public void close() {
        hsm.close();
    }

    @Override
    public String toString() {
        return "Pkcs11KeyProvider[" + hsm + "]";
    }
}

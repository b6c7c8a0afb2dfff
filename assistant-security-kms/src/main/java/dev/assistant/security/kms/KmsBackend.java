package dev.assistant.security.kms;

import java.util.Map;

/**
 * The few operations {@link KmsKeyProvider} needs from a cloud KMS. Supporting another cloud's KMS means one class
 * implementing this interface (mapping its errors to {@link dev.assistant.security.key.KeyProviderException}).
 *
 * <p>Contract: implementations are thread-safe; {@code context} is authenticated data that must match between
 * encrypt and decrypt; failures are {@code KeyProviderException}s with the right
 * {@link dev.assistant.security.key.KeyProviderException.Failure} and messages free of plaintext.
 */
public interface KmsBackend extends AutoCloseable {
    /** A short name for reports, e.g. {@code aws-kms}. */
    String name();

    /** Encrypts {@code plaintext} (at most 4 KiB) under {@code masterKeyId}; returns an opaque blob. */
    byte[] encrypt(String masterKeyId, byte[] plaintext, Map<String, String> context);

    /** Decrypts a blob made by {@link #encrypt}; the caller owns and wipes the result. */
    byte[] decrypt(String masterKeyId, byte[] ciphertext, Map<String, String> context);

    /** Checks that {@code masterKeyId} exists and is enabled; fails with a typed error otherwise. */
    void checkKey(String masterKeyId);

    @Override
    default void close() {
    }
}

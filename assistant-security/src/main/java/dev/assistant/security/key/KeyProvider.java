package dev.assistant.security.key;

/**
 * Resolves a key reference to a credential (SPI). Implementations: environment variables ({@link EnvKeyProvider}),
 * a PKCS#11 HSM ({@code Pkcs11KeyProvider}), a cloud KMS ({@code KmsKeyProvider}); {@link CachingKeyProvider}
 * adds a TTL cache in front of any of them. New providers plug in through {@link KeyProviderFactory}.
 *
 * <p>Contract: {@link #resolve} returns a fresh {@link Credential} owned by the caller, or throws
 * {@link KeyProviderException} with a {@link KeyProviderException.Failure}. Implementations are thread-safe and
 * never log or throw secret material (messages name key ids only).
 */
public interface KeyProvider extends AutoCloseable {
    /** A short stable name for reports and metrics, e.g. {@code env}, {@code pkcs11}, {@code kms}. */
    String name();

    /** Resolves {@code reference}; see the interface contract. */
    Credential resolve(KeyReference reference);

    /** Releases clients and sessions; the default does nothing. */
    @Override
    default void close() {
    }
}

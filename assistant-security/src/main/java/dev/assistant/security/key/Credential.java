package dev.assistant.security.key;

import dev.assistant.api.Secret;
import dev.assistant.api.security.Environment;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * A resolved secret with the facts needed to judge it: key id, environment, issue time and optional expiry.
 *
 * <p>The secret material lives in a wipeable {@link Secret}; {@link #toString()} never shows it. The holder of a
 * credential owns it and should {@link #close()} it when done, which wipes the material. Credentials handed out by
 * {@link KeyProvider#resolve} are always fresh copies owned by the caller.
 */
public final class Credential implements AutoCloseable {
    private final KeyReference reference;
    private final Secret secret;
    private final Instant issuedAt;
    private final Instant expiresAt;
    private final String source;

    /**
     * @param secret    taken over by this credential (wiped by {@link #close()})
     * @param expiresAt {@code null} when the credential has no fixed expiry (rotation age still applies)
     * @param source    the name of the provider that resolved it
     */
    public Credential(KeyReference reference, Secret secret, Instant issuedAt, Instant expiresAt, String source) {
        this.reference = Objects.requireNonNull(reference, "reference");
        this.secret = Objects.requireNonNull(secret, "secret");
        this.issuedAt = Objects.requireNonNull(issuedAt, "issuedAt");
        this.expiresAt = expiresAt;
        this.source = Objects.requireNonNull(source, "source");
        if (expiresAt != null && expiresAt.isBefore(issuedAt)) {
            throw new IllegalArgumentException("credential " + reference + " expires before it is issued");
        }
    }

    public KeyReference reference() {
        return reference;
    }

    public String keyId() {
        return reference.keyId();
    }

    public Environment environment() {
        return reference.environment();
    }

    /** The secret material; owned by this credential, do not close it separately. */
    public Secret secret() {
        return secret;
    }

    public Instant issuedAt() {
        return issuedAt;
    }

    public Optional<Instant> expiresAt() {
        return Optional.ofNullable(expiresAt);
    }

    /** The provider that resolved this credential (for reports; not secret). */
    public String source() {
        return source;
    }

    /** An independent copy (with its own secret bytes) that the caller owns. */
    public Credential copy() {
        return new Credential(reference, Secret.adopt(secret.bytes()), issuedAt, expiresAt, source);
    }

    /** Wipes the secret material. Idempotent. */
    @Override
    public void close() {
        secret.close();
    }

    @Override
    public String toString() {
        return "Credential[" + reference + ", source=" + source + ", issuedAt=" + issuedAt
                + (expiresAt == null ? "" : ", expiresAt=" + expiresAt) + ", secret=redacted]";
    }
}

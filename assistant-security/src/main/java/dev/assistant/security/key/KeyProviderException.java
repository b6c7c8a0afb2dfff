package dev.assistant.security.key;

import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;
import java.util.Locale;

/**
 * A key provider could not resolve a key. The {@link #failure()} says why (and whether trying again later may
 * help); {@link #reason()} is its lower-case name. The message names the provider and the key reference, never
 * secret material.
 *
 * <p>The error code is {@link ErrorCode#INTERNAL}: a missing or undecryptable service secret is a deployment
 * fault, not the caller's.
 */
public class KeyProviderException extends AssistantException {
    private static final long serialVersionUID = 1L;

    /** Why a key could not be resolved. */
    public enum Failure {
        /** No such key (variable unset, no envelope, KMS key unknown). */
        KEY_NOT_FOUND(false),
        /** The stored form is not in the expected format. */
        MALFORMED(false),
        /** Decryption failed: tampered data, wrong key, or a key id/environment that does not match. */
        DECRYPT_FAILED(false),
        /** The HSM or KMS refused access (login, permissions). */
        ACCESS_DENIED(false),
        /** The KMS key is disabled or pending deletion. */
        KEY_DISABLED(false),
        /** The HSM or KMS could not be reached or timed out; a later try may work. */
        UNAVAILABLE(true),
        /** The provider is misconfigured. */
        CONFIGURATION(false);

        private final boolean transientFailure;

        Failure(boolean transientFailure) {
            this.transientFailure = transientFailure;
        }

        /** Whether the same resolve may succeed later (outages), as opposed to a permanent fault. */
        public boolean isTransient() {
            return transientFailure;
        }

        /** The reason code, e.g. {@code key_not_found}. */
        public String code() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private final Failure failure;

    public KeyProviderException(Failure failure, String message) {
        this(failure, message, null);
    }

    /**
     * @param cause only causes whose messages cannot contain secret material (I/O, protocol errors); providers
     *              drop or sanitise causes that might
     */
    public KeyProviderException(Failure failure, String message, Throwable cause) {
        super(ErrorCode.INTERNAL, message, failure.code(), cause, -1);
        this.failure = failure;
    }

    public Failure failure() {
        return failure;
    }
}

package dev.assistant.api.security;

/**
 * The authentication step: a presented API key becomes a {@link Principal}.
 *
 * <p>Contract: returns the principal, or throws {@link dev.assistant.api.AssistantException} with
 * {@link dev.assistant.api.ErrorCode#UNAUTHENTICATED} and a {@linkplain dev.assistant.api.AssistantException#reason()
 * reason} of {@link #MISSING_KEY}, {@link #UNKNOWN_KEY} or one of the lifecycle reasons ({@code key_expired},
 * {@code key_rotated_out}, {@code wrong_environment}, {@code key_not_yet_valid}). The presented characters are
 * never stored, logged or put in a message; the caller keeps ownership of the array (and should wipe it).
 * Thread-safe.
 */
@FunctionalInterface
public interface Authenticator {
    String MISSING_KEY = "missing_key";
    String UNKNOWN_KEY = "unknown_key";

    Principal authenticate(char[] presentedKey);
}

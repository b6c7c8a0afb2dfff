package dev.assistant.security;

import java.time.Duration;

/**
 * What the security steps report, for metrics and alerts. Every method has a no-op default, so a listener
 * overrides only what it counts.
 *
 * <p>Contract for implementations: methods are called on the request path, so they must be fast and must not
 * throw (a throwing listener is caught and ignored by the callers). Arguments never contain secrets: key ids,
 * reason codes, action and resource names only.
 */
public interface SecurityEvents {
    /** A listener that ignores everything; costs one virtual call per event. */
    SecurityEvents NONE = new SecurityEvents() { };

    /** A caller was authenticated. */
    default void authenticated(String keyId) { }

    /** A presented key was refused; {@code reason} is the {@code UNAUTHENTICATED} reason code. */
    default void authenticationFailed(String reason) { }

    /** An accepted key is within the rotation warning window. */
    default void keyNearingRotation(String keyId, Duration remaining) { }

    /** A policy denied {@code action} on {@code resource}. */
    default void permissionDenied(String keyId, String action, String resource) { }

    /** A request was refused by a rate limit. */
    default void rateLimited(String keyId, String model, String limit, long nanosToWait) { }

    /** The shared rate-limit backend failed; {@code failOpen} tells whether the request was let through. */
    default void rateLimitBackendFailure(boolean failOpen) { }

    /** A key provider failed and a cached secret was served instead (or not, if none was left). */
    default void keyProviderFailure(String provider, String failure, boolean servedFromCache) { }

    /** Wraps {@code delegate} so that an exception thrown by it never reaches the request path. */
    static SecurityEvents safe(SecurityEvents delegate) {
        if (delegate == null || delegate == NONE || delegate instanceof SafeSecurityEvents) {
            return delegate == null ? NONE : delegate;
        }
        return new SafeSecurityEvents(delegate);
    }
}

package dev.assistant.security;

import java.time.Duration;

/** Shields the request path from listeners that throw. */
final class SafeSecurityEvents implements SecurityEvents {
    private final SecurityEvents delegate;

    SafeSecurityEvents(SecurityEvents delegate) {
        this.delegate = delegate;
    }

    @Override
    public void authenticated(String keyId) {
        try {
            delegate.authenticated(keyId);
        } catch (RuntimeException ignored) {
            // A metrics listener must never fail a request.
        }
    }

    @Override
    public void authenticationFailed(String reason) {
        try {
            delegate.authenticationFailed(reason);
        } catch (RuntimeException ignored) {
            // See authenticated.
        }
    }

    @Override
    public void keyNearingRotation(String keyId, Duration remaining) {
        try {
            delegate.keyNearingRotation(keyId, remaining);
        } catch (RuntimeException ignored) {
            // See authenticated.
        }
    }

    @Override
    public void permissionDenied(String keyId, String action, String resource) {
        try {
            delegate.permissionDenied(keyId, action, resource);
        } catch (RuntimeException ignored) {
            // See authenticated.
        }
    }

    @Override
    public void rateLimited(String keyId, String model, String limit, long nanosToWait) {
        try {
            delegate.rateLimited(keyId, model, limit, nanosToWait);
        } catch (RuntimeException ignored) {
            // See authenticated.
        }
    }

    @Override
    public void rateLimitBackendFailure(boolean failOpen) {
        try {
            delegate.rateLimitBackendFailure(failOpen);
        } catch (RuntimeException ignored) {
            // See authenticated.
        }
    }

    @Override
    public void keyProviderFailure(String provider, String failure, boolean servedFromCache) {
        try {
            delegate.keyProviderFailure(provider, failure, servedFromCache);
        } catch (RuntimeException ignored) {
            // See authenticated.
        }
    }
}

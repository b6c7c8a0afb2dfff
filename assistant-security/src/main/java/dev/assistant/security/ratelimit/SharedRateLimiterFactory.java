package dev.assistant.security.ratelimit;

import dev.assistant.api.security.RateLimiter;

/**
 * Makes a rate limiter whose buckets live in a store shared by several instances (SPI, found with
 * {@link java.util.ServiceLoader}; register an implementation in
 * {@code META-INF/services/dev.assistant.security.ratelimit.SharedRateLimiterFactory}). The security
 * configuration's {@code rateLimits.backend} names the factory; {@code redis} is in the opt-in artifact
 * {@code assistant-security-redis}, so hosts without Redis carry no Redis client.
 */
public interface SharedRateLimiterFactory {
    /** The value of {@code rateLimits.backend} that selects this factory, e.g. {@code redis}. */
    String backend();

    /** Builds the limiter; it may connect lazily. The caller closes it. */
    RateLimiter create(SharedRateLimiterSettings settings);
}

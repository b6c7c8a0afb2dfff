package dev.assistant.security.redis;

import dev.assistant.api.security.RateLimiter;
import dev.assistant.security.ratelimit.SharedRateLimiterFactory;
import dev.assistant.security.ratelimit.SharedRateLimiterSettings;

/** {@code rateLimits.backend: redis}: a {@link RedisRateLimiter} from the security configuration. */
public final class RedisRateLimiterFactory implements SharedRateLimiterFactory {
    @Override
    public String backend() {
        return "redis";
    }

    @Override
    public RateLimiter create(SharedRateLimiterSettings settings) {
        RedisRateLimiter.Builder redis = RedisRateLimiter.builder()
                .uri(settings.uri())
                .config(settings.config())
                .events(settings.events());
        settings.commandTimeoutIfSet().ifPresent(redis::commandTimeout);
        settings.connectTimeoutIfSet().ifPresent(redis::connectTimeout);
        settings.keyPrefixIfSet().ifPresent(redis::keyPrefix);
        settings.clockIfSet().ifPresent(redis::clock);
        return redis.build();
    }
}

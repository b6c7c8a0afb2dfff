package dev.assistant.security.ratelimit;

import dev.assistant.security.SecurityEvents;
import io.github.bucket4j.TimeMeter;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * What a {@link SharedRateLimiterFactory} needs: where the store is and how to talk to it, the plans, the event
 * sink and the clock. Immutable; {@link #toString()} never shows the URI (it may hold a password).
 *
 * @param uri            the store's URI, e.g. {@code redis://127.0.0.1:6379}
 * @param config         the rate plans
 * @param events         where rate-limit events go
 * @param commandTimeout bound on one store command, or {@code null} for the backend's default
 * @param connectTimeout bound on connecting, or {@code null} for the backend's default
 * @param keyPrefix      prefix of the store's keys, or {@code null} for the backend's default
 * @param clock          the clock buckets are computed with, or {@code null} for the backend's default
 */
public record SharedRateLimiterSettings(String uri, RateLimitConfig config, SecurityEvents events,
                                        Duration commandTimeout, Duration connectTimeout, String keyPrefix,
                                        TimeMeter clock) {
    public SharedRateLimiterSettings {
        Objects.requireNonNull(uri, "uri");
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(events, "events");
    }

    public Optional<Duration> commandTimeoutIfSet() {
        return Optional.ofNullable(commandTimeout);
    }

    public Optional<Duration> connectTimeoutIfSet() {
        return Optional.ofNullable(connectTimeout);
    }

    public Optional<String> keyPrefixIfSet() {
        return Optional.ofNullable(keyPrefix);
    }

    public Optional<TimeMeter> clockIfSet() {
        return Optional.ofNullable(clock);
    }

    @Override
    public String toString() {
        return "SharedRateLimiterSettings[" + config + "]";
    }
}

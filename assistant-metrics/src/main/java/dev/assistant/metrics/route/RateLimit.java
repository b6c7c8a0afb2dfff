package dev.assistant.metrics.route;

import java.time.Duration;
import java.util.Objects;

/**
 * How many deliveries one channel may make: bursts of up to {@code capacity}, refilled at {@code capacity} per
 * {@code period}. Deliveries above it are not attempted on that channel (the router falls back to the next one and
 * counts them as rate-limited), so a flapping rule or a storm of alerts cannot page someone a hundred times.
 *
 * @param capacity deliveries allowed at once and per period (1..10000)
 * @param period   the refill period (positive, at most a day)
 */
public record RateLimit(int capacity, Duration period) {
    /** Six deliveries per ten minutes. */
    public static final RateLimit DEFAULT = new RateLimit(6, Duration.ofMinutes(10));

    public RateLimit {
        if (capacity < 1 || capacity > 10_000) {
            throw new IllegalArgumentException("rate limit capacity must be 1..10000, was " + capacity);
        }
        Objects.requireNonNull(period, "period");
        if (period.isNegative() || period.isZero() || period.compareTo(Duration.ofDays(1)) > 0) {
            throw new IllegalArgumentException("rate limit period must be positive and at most a day, was " + period);
        }
    }
}

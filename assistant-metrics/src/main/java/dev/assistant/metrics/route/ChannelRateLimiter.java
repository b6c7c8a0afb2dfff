package dev.assistant.metrics.route;

/**
 * A token bucket: at most {@code capacity} deliveries at once, refilled continuously at {@code capacity} per
 * {@code period}. Time is ticker nanoseconds passed in by the caller, so tests drive it with a fake clock. Tokens
 * are counted in exact integer units of 1/period-nanos (no floating-point drift at the boundary). Not thread-safe;
 * the router serialises calls.
 */
final class ChannelRateLimiter {
    private final long capacity;
    private final long periodNanos;
    private final long full;
    private long scaledTokens;
    private long last;
    private boolean started;

    ChannelRateLimiter(RateLimit limit) {
        this.capacity = limit.capacity();
        this.periodNanos = limit.period().toNanos();
        this.full = capacity * periodNanos; // <= 10000 * 1 day in ns, far below Long.MAX_VALUE
        this.scaledTokens = full;
    }

    /** Takes one token if there is one at ticker time {@code now}. */
    boolean tryAcquire(long now) {
        if (started) {
            long elapsed = Math.min(Math.max(0, now - last), periodNanos);
            scaledTokens = Math.min(full, scaledTokens + elapsed * capacity);
        }
        started = true;
        last = now;
        if (scaledTokens >= periodNanos) {
            scaledTokens -= periodNanos;
            return true;
        }
        return false;
    }
}

package dev.assistant.security.ratelimit;

/** What a shared (Redis) rate limiter does while its backend is unreachable. */
public enum FailureMode {
    /** Admit requests (availability first); each one is counted as a backend failure. */
    FAIL_OPEN,
    /** Refuse requests with {@code RATE_LIMITED}, reason {@code backend_unavailable} (the agreed rate first). */
    FAIL_CLOSED
}

package dev.assistant.api;

/**
 * Why a call to the assistant failed, with the HTTP-like status a server would answer with.
 *
 * <p>Codes are stable: hosts map them to responses, alerts and retries. {@link #retryable()} says whether the
 * same request may succeed later without change (overload, rate limits, time-outs).
 */
public enum ErrorCode {
    INVALID_REQUEST(400, false),
    CONTEXT_OVERFLOW(400, false),
    UNAUTHENTICATED(401, false),
    PERMISSION_DENIED(403, false),
    MODEL_NOT_FOUND(404, false),
    RATE_LIMITED(429, true),
    INTERNAL(500, false),
    MODEL_CORRUPTED(500, false),
    MODEL_INVALID(500, false),
    ENGINE_UNAVAILABLE(503, false),
    RESOURCE_EXHAUSTED(503, true),
    OVERLOADED(503, true),
    CANCELLED(499, false),
    TIMEOUT(504, true);

    private final int httpStatus;
    private final boolean retryable;

    ErrorCode(int httpStatus, boolean retryable) {
        this.httpStatus = httpStatus;
        this.retryable = retryable;
    }

    /** The HTTP status a server exposing the assistant answers with for this code. */
    public int httpStatus() {
        return httpStatus;
    }

    /** Whether the same request may succeed later, unchanged. */
    public boolean retryable() {
        return retryable;
    }
}

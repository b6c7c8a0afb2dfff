package dev.assistant.api.security;

import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;
import java.util.concurrent.TimeUnit;

/**
 * The result of asking a {@link RateLimiter} for one request: a rich value (like Bucket4j's
 * {@code ConsumptionProbe}) so a server can answer 429 with {@code Retry-After}.
 *
 * @param admitted    whether the request may proceed
 * @param limit       when refused, which limit: {@link #REQUESTS}, {@link #MODEL_REQUESTS}, {@link #TOKENS} or
 *                    {@link #BACKEND_UNAVAILABLE}; {@code null} when admitted
 * @param nanosToWait when refused, nanoseconds until a retry can succeed; 0 when admitted
 * @param degraded    admitted without checking because the backend failed (fail-open)
 */
public record Admission(boolean admitted, String limit, long nanosToWait, boolean degraded) {
    public static final String REQUESTS = "requests";
    public static final String MODEL_REQUESTS = "model_requests";
    public static final String TOKENS = "tokens";
    public static final String BACKEND_UNAVAILABLE = "backend_unavailable";

    /** The request may proceed. */
    public static final Admission ADMITTED = new Admission(true, null, 0, false);
    /** The request may proceed, admitted without a check because the backend failed (fail-open). */
    public static final Admission ADMITTED_DEGRADED = new Admission(true, null, 0, true);

    /** A refusal by {@code limit}, retryable after {@code nanosToWait} (negative waits count as 0). */
    public static Admission refused(String limit, long nanosToWait) {
        return new Admission(false, limit, Math.max(0, nanosToWait), false);
    }

    /** The {@code RATE_LIMITED} exception for a refusal, with reason {@link #limit()} and the wait. */
    public AssistantException toException(String keyId, String model) {
        if (admitted) {
            throw new IllegalStateException("the request was admitted");
        }
        long millis = TimeUnit.NANOSECONDS.toMillis(nanosToWait) + 1;
        String what = switch (limit) {
            case MODEL_REQUESTS -> "request rate of key " + keyId + " for model " + model;
            case TOKENS -> "token budget of key " + keyId;
            case BACKEND_UNAVAILABLE -> "rate-limit backend (unavailable, failing closed) for key " + keyId;
            default -> "request rate of key " + keyId;
        };
        return new AssistantException(ErrorCode.RATE_LIMITED, what + " exceeded; retry after " + millis + " ms",
                limit, null, nanosToWait);
    }
}

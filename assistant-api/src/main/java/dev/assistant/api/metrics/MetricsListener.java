package dev.assistant.api.metrics;

import dev.assistant.api.ErrorCode;

import java.util.List;

/**
 * Receives the measurable events of assistant calls: the metrics SPI.
 *
 * <p>Lifecycle of one call: {@link #requestStarted} once, then optionally {@link #queueWait} and
 * {@link #firstToken}, then exactly one of {@link #requestSucceeded} or {@link #requestFailed}. Rejections before
 * generation (authentication, policy, rate limit, overload) are reported as {@link #requestFailed} with their
 * {@link ErrorCode}; implementations derive rejection counters from the code. {@link RequestTimer} produces this
 * sequence correctly and is the intended way to drive a listener.
 *
 * <p>Contract for implementations: every method is called on the request path, possibly concurrently from many
 * threads, and must be fast (no I/O, no locks held for long, no unbounded allocation) and should not throw. The
 * host must still be protected from a misbehaving listener: {@link #composite} wraps listeners so that an
 * exception is swallowed, counted and logged once, and never reaches the request. All methods default to doing
 * nothing, so a listener overrides only what it needs; {@link #NONE} costs one virtual call per event.
 *
 * <p>All durations are {@code long} nanoseconds; a negative duration or token count means "unknown".
 */
public interface MetricsListener {
    /** A listener that ignores every event. */
    MetricsListener NONE = new MetricsListener() {
        @Override
        public String toString() {
            return "MetricsListener.NONE";
        }
    };

    /** A call was accepted by the facade (before authentication). */
    default void requestStarted(RequestInfo request) {
    }

    /**
     * A call left the scheduler queue after waiting {@code waitNanos}.
     */
    default void queueWait(RequestInfo request, long waitNanos) {
    }

    /** The scheduler queue now holds {@code depth} waiting calls (a gauge; report on every change or sample). */
    default void queueDepth(int depth) {
    }

    /**
     * The first output token of a call was produced, {@code ttftNanos} after {@link #requestStarted}.
     */
    default void firstToken(RequestInfo request, long ttftNanos) {
    }

    /**
     * A call completed successfully.
     *
     * @param latencyNanos     time from start to the last token
     * @param promptTokens     input tokens, or negative when unknown
     * @param completionTokens output tokens, or negative when unknown
     * @param tpotNanos        mean time per output token after the first, or negative when unknown (fewer than
     *                         two output tokens, or no first-token event)
     */
    default void requestSucceeded(RequestInfo request, long latencyNanos, int promptTokens, int completionTokens,
                                  long tpotNanos) {
    }

    /**
     * A call failed or was rejected.
     *
     * @param latencyNanos time from start to the failure
     * @param code         why, as the caller sees it
     * @param reason       a short machine-readable sub-code (for example {@code key_expired}), or {@code null}
     */
    default void requestFailed(RequestInfo request, long latencyNanos, ErrorCode code, String reason) {
    }

    /** A model finished loading in {@code loadNanos}, holding {@code weightBytes} of weights (negative: unknown). */
    default void modelLoaded(String model, long loadNanos, long weightBytes) {
    }

    /** A model was unloaded and its weights released. */
    default void modelUnloaded(String model) {
    }

    /**
     * A listener that forwards every event to each of {@code listeners} in order, isolating them from each other
     * and from the caller: an exception thrown by one is swallowed, counted, and logged once per listener; the
     * remaining listeners still receive the event. Returns {@link #NONE} for an empty list.
     */
    static MetricsListener composite(List<? extends MetricsListener> listeners) {
        return CompositeMetricsListener.of(listeners);
    }

    /** Same as {@link #composite(List)}. */
    static MetricsListener composite(MetricsListener... listeners) {
        return CompositeMetricsListener.of(List.of(listeners));
    }
}

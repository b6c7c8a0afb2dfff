package dev.assistant.metrics.memory;

import dev.assistant.api.ErrorCode;

import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Metrics of one model (or of all models, see {@link MetricsSnapshot#total()}) at one instant.
 *
 * <p>Counters ({@code started}, {@code succeeded}, {@code failures}, tokens) are cumulative since the metrics
 * were created. Distributions and {@code latencyByOutcome} cover the sliding window only. Durations are
 * nanoseconds; {@code -1} means unknown.
 *
 * @param model            model name, or {@link MetricsSnapshot#ALL_MODELS} for the aggregate
 * @param started          calls started
 * @param succeeded        calls that succeeded
 * @param failures         failed calls by code (codes never seen are absent)
 * @param inFlight         calls started and not yet ended
 * @param promptTokens     input tokens of successful calls
 * @param completionTokens output tokens of successful calls
 * @param latency          latency of successful calls in the window
 * @param latencyByOutcome latency in the window by outcome: {@code success} or an {@link ErrorCode} name
 * @param ttft             time to first token in the window
 * @param tpot             time per output token in the window
 * @param queueWait        time spent in the scheduler queue in the window
 * @param loadNanos        how long the model took to load, or -1
 * @param weightBytes      bytes of model weights held, or -1
 */
public record ModelMetrics(String model, long started, long succeeded, Map<ErrorCode, Long> failures,
                           long inFlight, long promptTokens, long completionTokens, Distribution latency,
                           Map<String, Distribution> latencyByOutcome, Distribution ttft, Distribution tpot,
                           Distribution queueWait, long loadNanos, long weightBytes) {
    /** The {@code latencyByOutcome} key of successful calls. */
    public static final String SUCCESS = "success";

    public ModelMetrics {
        Objects.requireNonNull(model, "model");
        failures = Map.copyOf(failures);
        latencyByOutcome = Map.copyOf(latencyByOutcome);
        Objects.requireNonNull(latency, "latency");
        Objects.requireNonNull(ttft, "ttft");
        Objects.requireNonNull(tpot, "tpot");
        Objects.requireNonNull(queueWait, "queueWait");
    }

    /** Failed calls of any code, cumulative. */
    public long failed() {
        return failures.values().stream().mapToLong(Long::longValue).sum();
    }

    /** Failed calls with {@code code}, cumulative. */
    public long failures(ErrorCode code) {
        return failures.getOrDefault(code, 0L);
    }

    /** Calls rejected by the rate limiter ({@link ErrorCode#RATE_LIMITED}), cumulative. */
    public long rateLimited() {
        return failures(ErrorCode.RATE_LIMITED);
    }

    /** Calls rejected by authentication ({@link ErrorCode#UNAUTHENTICATED}), cumulative. */
    public long authenticationFailures() {
        return failures(ErrorCode.UNAUTHENTICATED);
    }

    /** Calls denied by policy ({@link ErrorCode#PERMISSION_DENIED}), cumulative. */
    public long policyFailures() {
        return failures(ErrorCode.PERMISSION_DENIED);
    }

    /** Calls that ended (any outcome) in the window. */
    public long windowRequests() {
        return latencyByOutcome.values().stream().mapToLong(Distribution::count).sum();
    }

    /** Calls that ended in the window with one of {@code codes}. */
    public long windowFailures(Set<ErrorCode> codes) {
        long n = 0;
        for (ErrorCode code : codes) {
            Distribution d = latencyByOutcome.get(code.name());
            n += d == null ? 0 : d.count();
        }
        return n;
    }

    /**
     * Share of calls ended in the window that failed with one of {@code codes}, in {@code [0, 1]}; NaN when no
     * call ended in the window. Calls whose code is not in {@code codes} still count in the denominator.
     */
    public double windowErrorRate(Set<ErrorCode> codes) {
        long requests = windowRequests();
        return requests == 0 ? Double.NaN : (double) windowFailures(codes) / requests;
    }
}

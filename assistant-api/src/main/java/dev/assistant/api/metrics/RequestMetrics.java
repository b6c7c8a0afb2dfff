package dev.assistant.api.metrics;

import java.util.Objects;

/**
 * The facade's entry point to metrics: owns the (guarded) listener and the ticker, and starts one
 * {@link RequestTimer} per call. Thread-safe and immutable; create one per {@code Assistant}.
 *
 * <p>The listener given here is always wrapped by {@link MetricsListener#composite} (unless it already is one),
 * so no listener exception can reach the request path.
 */
public final class RequestMetrics {
    /** Records nothing; {@link #start} still returns a working timer so the facade needs no null checks. */
    public static final RequestMetrics NONE = new RequestMetrics(MetricsListener.NONE, Ticker.SYSTEM);

    private final MetricsListener listener;
    private final Ticker ticker;

    /**
     * @param listener receives the events of every call (wrap several with {@link MetricsListener#composite})
     * @param ticker   the monotonic clock used to time calls; must be the same ticker the listeners use, if any
     */
    public RequestMetrics(MetricsListener listener, Ticker ticker) {
        Objects.requireNonNull(listener, "listener");
        this.listener = listener == MetricsListener.NONE || listener instanceof CompositeMetricsListener
                ? listener
                : MetricsListener.composite(listener);
        this.ticker = Objects.requireNonNull(ticker, "ticker");
    }

    /** Reports {@link MetricsListener#requestStarted} now and returns the timer of this call. */
    public RequestTimer start(RequestInfo request) {
        return new RequestTimer(listener, ticker, request);
    }

    /** Reports the scheduler's queue depth (a gauge). */
    public void queueDepth(int depth) {
        listener.queueDepth(depth);
    }

    /** Reports a finished model load. */
    public void modelLoaded(String model, long loadNanos, long weightBytes) {
        listener.modelLoaded(model, loadNanos, weightBytes);
    }

    /** Reports a model unload. */
    public void modelUnloaded(String model) {
        listener.modelUnloaded(model);
    }

    /** The guarded listener events are sent to. */
    public MetricsListener listener() {
        return listener;
    }

    /** The ticker calls are timed with. */
    public Ticker ticker() {
        return ticker;
    }
}

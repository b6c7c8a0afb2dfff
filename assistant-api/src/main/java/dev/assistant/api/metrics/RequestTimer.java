package dev.assistant.api.metrics;

import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Objects;

/**
 * Times one assistant call and reports it to a {@link MetricsListener} in the order the SPI promises: started,
 * optional queue wait and first token, then exactly one terminal event.
 *
 * <p>Thread-safe: the first-token and terminal events may race (a worker streaming tokens while the caller times
 * out); the first {@link #succeeded}/{@link #failed} wins and later ones are ignored, as is a first token that
 * arrives after the end. TTFT and latency are measured from the moment the timer was started, so they include
 * authentication, rate limiting and queueing: what the caller waited.
 */
public final class RequestTimer {
    private static final long UNSET = Long.MIN_VALUE;
    private static final VarHandle FIRST_TOKEN_AT;
    private static final VarHandle DONE;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            FIRST_TOKEN_AT = lookup.findVarHandle(RequestTimer.class, "firstTokenAt", long.class);
            DONE = lookup.findVarHandle(RequestTimer.class, "done", boolean.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final MetricsListener listener;
    private final Ticker ticker;
    private final long startedAt;
    private volatile RequestInfo request;
    private volatile long enqueuedAt = UNSET;
    @SuppressWarnings("unused") // accessed through FIRST_TOKEN_AT
    private volatile long firstTokenAt = UNSET;
    @SuppressWarnings("unused") // accessed through DONE
    private volatile boolean done;

    RequestTimer(MetricsListener listener, Ticker ticker, RequestInfo request) {
        this.listener = listener;
        this.ticker = ticker;
        this.request = Objects.requireNonNull(request, "request");
        this.startedAt = ticker.read();
        listener.requestStarted(request);
    }

    /** The identity events are reported with. */
    public RequestInfo request() {
        return request;
    }

    /**
     * Records the caller's key id once authentication has identified it (call it also when authentication fails
     * for a known key id, so the call log says which key got 401/403).
     */
    public void identified(String keyId) {
        request = request.withKeyId(keyId);
    }

    /** The call entered the scheduler queue, which now holds {@code depthAfter} calls. */
    public void enqueued(int depthAfter) {
        enqueuedAt = ticker.read();
        listener.queueDepth(depthAfter);
    }

    /** The call left the scheduler queue, which now holds {@code depthAfter} calls; reports the wait. */
    public void dequeued(int depthAfter) {
        long since = enqueuedAt;
        if (since != UNSET) {
            listener.queueWait(request, ticker.read() - since);
        }
        listener.queueDepth(depthAfter);
    }

    /** The first output token was produced. Only the first call counts. */
    public void firstToken() {
        if (done) {
            return;
        }
        long now = ticker.read();
        if (FIRST_TOKEN_AT.compareAndSet(this, UNSET, now)) {
            listener.firstToken(request, now - startedAt);
        }
    }

    /**
     * The call succeeded. Time per output token is derived as (end - first token) / (completionTokens - 1).
     *
     * @return {@code true} if this was the terminal event, {@code false} if the call had already ended
     */
    public boolean succeeded(int promptTokens, int completionTokens) {
        if (!DONE.compareAndSet(this, false, true)) {
            return false;
        }
        long now = ticker.read();
        long first = (long) FIRST_TOKEN_AT.getVolatile(this);
        long tpot = first != UNSET && completionTokens > 1 ? (now - first) / (completionTokens - 1) : -1;
        listener.requestSucceeded(request, now - startedAt, promptTokens, completionTokens, tpot);
        return true;
    }

    /**
     * The call failed with {@code code}.
     *
     * @param reason short machine-readable sub-code, or {@code null}; must not contain a secret
     * @return {@code true} if this was the terminal event, {@code false} if the call had already ended
     */
    public boolean failed(ErrorCode code, String reason) {
        Objects.requireNonNull(code, "code");
        if (!DONE.compareAndSet(this, false, true)) {
            return false;
        }
        listener.requestFailed(request, ticker.read() - startedAt, code, reason);
        return true;
    }

    /**
     * The call failed with {@code error}: an {@link AssistantException} reports its code and reason, anything
     * else reports {@link ErrorCode#INTERNAL} with the exception's simple class name as the reason.
     */
    public boolean failed(Throwable error) {
        if (error instanceof AssistantException ae) {
            return failed(ae.code(), ae.reason());
        }
        return failed(ErrorCode.INTERNAL, error == null ? null : error.getClass().getSimpleName());
    }

    /** Whether a terminal event has been reported. */
    public boolean isDone() {
        return done;
    }
}

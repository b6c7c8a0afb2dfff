package dev.assistant.api.metrics;

import dev.assistant.api.ErrorCode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Fans events out to several listeners and guarantees that none of them can throw into the request path.
 *
 * <p>Each delegate's failures are counted ({@link #errorCount(int)}); the first failure of each delegate is logged
 * at WARN with its stack trace, later ones only counted, so a broken listener cannot flood the log. A
 * {@link VirtualMachineError} is rethrown: the JVM is failing and hiding that would be worse.
 */
public final class CompositeMetricsListener implements MetricsListener {
    private static final Logger LOG = LoggerFactory.getLogger(CompositeMetricsListener.class);

    private final MetricsListener[] delegates;
    private final AtomicLongArray errors;

    private CompositeMetricsListener(MetricsListener[] delegates) {
        this.delegates = delegates;
        this.errors = new AtomicLongArray(delegates.length);
    }

    static MetricsListener of(List<? extends MetricsListener> listeners) {
        Objects.requireNonNull(listeners, "listeners");
        List<MetricsListener> flat = new ArrayList<>();
        for (MetricsListener l : listeners) {
            Objects.requireNonNull(l, "listener");
            if (l != NONE) {
                flat.add(l);
            }
        }
        if (flat.isEmpty()) {
            return NONE;
        }
        return new CompositeMetricsListener(flat.toArray(new MetricsListener[0]));
    }

    /** The delegates, in call order. */
    public List<MetricsListener> delegates() {
        return List.of(delegates);
    }

    /** How many times delegate {@code index} has thrown. */
    public long errorCount(int index) {
        return errors.get(index);
    }

    /** How many times any delegate has thrown. */
    public long errorCount() {
        long sum = 0;
        for (int i = 0; i < errors.length(); i++) {
            sum += errors.get(i);
        }
        return sum;
    }

    private void failed(int index, String event, Throwable t) {
        if (t instanceof VirtualMachineError vme) {
            throw vme;
        }
        if (errors.getAndIncrement(index) == 0) {
            LOG.warn("Metrics listener {} threw on {}; the error is ignored and further ones are only counted",
                    delegates[index].getClass().getName(), event, t);
        }
    }

    // Each method loops with its own try/catch so one failing delegate does not stop the others.

    @Override
    public void requestStarted(RequestInfo request) {
        for (int i = 0; i < delegates.length; i++) {
            try {
                delegates[i].requestStarted(request);
            } catch (Throwable t) {
                failed(i, "requestStarted", t);
            }
        }
    }

    @Override
    public void queueWait(RequestInfo request, long waitNanos) {
        for (int i = 0; i < delegates.length; i++) {
            try {
                delegates[i].queueWait(request, waitNanos);
            } catch (Throwable t) {
                failed(i, "queueWait", t);
            }
        }
    }

    @Override
    public void queueDepth(int depth) {
        for (int i = 0; i < delegates.length; i++) {
            try {
                delegates[i].queueDepth(depth);
            } catch (Throwable t) {
                failed(i, "queueDepth", t);
            }
        }
    }

    @Override
    public void firstToken(RequestInfo request, long ttftNanos) {
        for (int i = 0; i < delegates.length; i++) {
            try {
                delegates[i].firstToken(request, ttftNanos);
            } catch (Throwable t) {
                failed(i, "firstToken", t);
            }
        }
    }

    @Override
    public void requestSucceeded(RequestInfo request, long latencyNanos, int promptTokens, int completionTokens,
                                 long tpotNanos) {
        for (int i = 0; i < delegates.length; i++) {
            try {
                delegates[i].requestSucceeded(request, latencyNanos, promptTokens, completionTokens, tpotNanos);
            } catch (Throwable t) {
                failed(i, "requestSucceeded", t);
            }
        }
    }

    @Override
    public void requestFailed(RequestInfo request, long latencyNanos, ErrorCode code, String reason) {
        for (int i = 0; i < delegates.length; i++) {
            try {
                delegates[i].requestFailed(request, latencyNanos, code, reason);
            } catch (Throwable t) {
                failed(i, "requestFailed", t);
            }
        }
    }

    @Override
    public void modelLoaded(String model, long loadNanos, long weightBytes) {
        for (int i = 0; i < delegates.length; i++) {
            try {
                delegates[i].modelLoaded(model, loadNanos, weightBytes);
            } catch (Throwable t) {
                failed(i, "modelLoaded", t);
            }
        }
    }

    @Override
    public void modelUnloaded(String model) {
        for (int i = 0; i < delegates.length; i++) {
            try {
                delegates[i].modelUnloaded(model);
            } catch (Throwable t) {
                failed(i, "modelUnloaded", t);
            }
        }
    }

    @Override
    public String toString() {
        return "CompositeMetricsListener" + List.of(delegates);
    }
}

package dev.assistant.core.delivery;

import dev.assistant.api.AssistantException;
import dev.assistant.core.Completion;
import dev.assistant.core.StreamListener;
import dev.assistant.core.tools.ToolCallDelta;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.Executor;

/**
 * One request's stream events on their way to the caller's {@link StreamListener}: the engine thread only enqueues
 * them; they are delivered on the callback executor, one at a time and in order (text, then exactly one of
 * {@code onComplete}/{@code onError}, last), through the request's own {@link SerialExecutor}.
 *
 * <p>Back-pressure: a slow listener does not slow generation; its events wait in its own queue, which holds at most
 * one text event per generated token plus the final event, so it is bounded by the request's max new tokens. A
 * listener that throws is logged (once per request) and loses that event; the request and every other request go on.
 */
public final class EventRelay implements StreamListener {
    private static final Logger LOG = LoggerFactory.getLogger(EventRelay.class);

    private final String requestId;
    private final StreamListener listener;
    private final SerialExecutor serial;
    private boolean ended; // guarded by this
    private volatile boolean discarding;
    private boolean warned; // serial only

    /** @param listener the caller's listener, or null when nobody listens (events are then dropped at once) */
    public EventRelay(String requestId, StreamListener listener, Executor callbacks) {
        this.requestId = requestId;
        this.listener = listener;
        this.serial = listener == null ? null : new SerialExecutor(callbacks);
    }

    /** Enqueues a text piece of the first choice (on the engine thread); dropped once the request has ended. */
    @Override
    public void onText(String delta) {
        onChoiceText(0, delta);
    }

    /** Enqueues a text piece of choice {@code index}; the choices' pieces keep the order they were produced in. */
    @Override
    public void onChoiceText(int index, String delta) {
        enqueue(() -> listener.onChoiceText(index, delta));
    }

    /** Enqueues a piece of a tool call, in order with the text around it. */
    @Override
    public void onToolCall(ToolCallDelta delta) {
        enqueue(() -> listener.onToolCall(delta));
    }

    private void enqueue(Runnable event) {
        if (listener == null) {
            return;
        }
        synchronized (this) {
            if (ended) {
                return;
            }
            serial.execute(() -> deliver(event));
        }
    }

    /** Not used: the request ends through {@link #finish}. */
    @Override
    public void onComplete(Completion completion) {
        finish(completion, null, () -> {
        });
    }

    /** Not used: the request ends through {@link #finish}. */
    @Override
    public void onError(AssistantException error) {
        finish(null, error, () -> {
        });
    }

    /**
     * Ends the stream: after the text already enqueued, the listener gets {@code onComplete(completion)} or
     * {@code onError(error)}, then {@code then} runs (the caller's future is settled there, so that every event has
     * been delivered when it completes). Later calls are ignored.
     */
    public void finish(Completion completion, AssistantException error, Runnable then) {
        synchronized (this) {
            if (ended) {
                return;
            }
            ended = true;
            if (listener != null) {
                serial.execute(() -> {
                    try {
                        if (error == null) {
                            listener.onComplete(completion);
                        } else {
                            listener.onError(error);
                        }
                    } catch (RuntimeException e) {
                        failed(e);
                    } finally {
                        then.run();
                    }
                });
                return;
            }
        }
        then.run();
    }

    /**
     * The caller cancelled: text still queued is dropped (nobody wants it, and a slow listener would otherwise keep
     * a callback thread busy with it); the final event is still delivered.
     */
    public void discardPendingText() {
        discarding = true;
    }

    private void deliver(Runnable event) {
        if (discarding) {
            return;
        }
        try {
            event.run();
        } catch (RuntimeException e) {
            failed(e);
        }
    }

    private void failed(RuntimeException e) {
        if (!warned) {
            warned = true;
            LOG.warn("the stream listener of request {} failed; its event is dropped, generation goes on", requestId, e);
        } else {
            LOG.debug("the stream listener of request {} failed again: {}", requestId, e.toString());
        }
    }
}

package dev.assistant.core.delivery;

import dev.assistant.api.AssistantException;
import dev.assistant.core.Completion;
import dev.assistant.core.StreamListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayDeque;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.Flow;
import java.util.function.Function;

/**
 * A request's answer as a {@link Flow.Publisher} of text pieces (Reactive Streams rules). Each subscription runs the
 * request once, starting at the first {@code request(n)}; the subscriber gets at most as many pieces as it asked
 * for, and pieces produced ahead of its demand wait in the subscription's buffer, which holds at most one piece per
 * generated token (bounded by the request's max new tokens): the model is not held back by a slow subscriber.
 * {@code cancel()} stops generation at the engine's next step. {@code onComplete} follows the last piece; an error
 * ({@link AssistantException}) is signalled at once, dropping pieces not yet requested. Signals run on the callback
 * executor, one at a time.
 */
public final class TextPublisher implements Flow.Publisher<String> {
    private static final Logger LOG = LoggerFactory.getLogger(TextPublisher.class);

    private final Function<StreamListener, CompletableFuture<Completion>> starter;
    private final Executor callbacks;

    /** @param starter starts the request with a listener (the facade's {@code chatStream}/{@code generateStream}) */
    public TextPublisher(Function<StreamListener, CompletableFuture<Completion>> starter, Executor callbacks) {
        this.starter = Objects.requireNonNull(starter, "starter");
        this.callbacks = Objects.requireNonNull(callbacks, "callbacks");
    }

    @Override
    public void subscribe(Flow.Subscriber<? super String> subscriber) {
        Objects.requireNonNull(subscriber, "subscriber");
        new Subscription(subscriber, new SerialExecutor(callbacks)).begin();
    }

    private final class Subscription implements Flow.Subscription, StreamListener {
        private final Flow.Subscriber<? super String> subscriber;
        private final SerialExecutor serial;
        // touched only by tasks on `serial`
        private final ArrayDeque<String> buffer = new ArrayDeque<>();
        private long demand;
        private boolean started;
        private boolean complete;
        private boolean done; // a terminal signal was sent, or the subscriber cancelled
        // set from any thread
        private volatile boolean cancelled;
        private volatile CompletableFuture<Completion> running;

        Subscription(Flow.Subscriber<? super String> subscriber, SerialExecutor serial) {
            this.subscriber = subscriber;
            this.serial = serial;
        }

        void begin() {
            serial.execute(() -> {
                try {
                    subscriber.onSubscribe(this);
                } catch (RuntimeException e) {
                    LOG.warn("a subscriber failed in onSubscribe; its subscription is cancelled", e);
                    cancel();
                }
            });
        }

        @Override
        public void request(long n) {
            serial.execute(() -> {
                if (done) {
                    return;
                }
                if (n <= 0) {
                    stopRunning();
                    signalError(new IllegalArgumentException("request(n) needs n > 0, was " + n + " (rule 3.9)"));
                    return;
                }
                demand = demand + n < 0 ? Long.MAX_VALUE : demand + n;
                if (!started) {
                    started = true;
                    start();
                }
                drain();
            });
        }

        @Override
        public void cancel() {
            cancelled = true;
            serial.execute(() -> {
                done = true;
                buffer.clear();
            });
            stopRunning();
        }

        private void start() {
            try {
                running = starter.apply(this);
                if (cancelled) {
                    stopRunning(); // cancelled while the request was being started
                }
            } catch (AssistantException e) {
                signalError(e);
            }
        }

        private void stopRunning() {
            CompletableFuture<Completion> f = running;
            if (f != null) {
                f.cancel(false);
            }
        }

        // ---- the request's events (on the request's own serial queue): hop onto this subscription's ----------

        @Override
        public void onText(String delta) {
            serial.execute(() -> {
                if (!done) {
                    buffer.add(delta);
                    drain();
                }
            });
        }

        @Override
        public void onComplete(Completion completion) {
            serial.execute(() -> {
                complete = true;
                drain();
            });
        }

        @Override
        public void onError(AssistantException error) {
            serial.execute(() -> signalError(error));
        }

        private void drain() {
            // `cancelled`, not only `done`: a cancel() from inside onNext marks `done` in a task queued behind this one,
            // and the pieces already buffered must not reach the subscriber meanwhile (rule 3.6/1.8)
            while (!done && !cancelled && demand > 0 && !buffer.isEmpty()) {
                demand--;
                String piece = buffer.poll();
                try {
                    subscriber.onNext(piece);
                } catch (RuntimeException e) {
                    LOG.warn("a subscriber failed in onNext; its subscription is cancelled (rule 2.13)", e);
                    cancel();
                    return;
                }
            }
            if (!done && !cancelled && complete && buffer.isEmpty()) {
                done = true;
                try {
                    subscriber.onComplete();
                } catch (RuntimeException e) {
                    LOG.warn("a subscriber failed in onComplete", e);
                }
            }
        }

        private void signalError(Throwable error) {
            if (done || cancelled) {
                return;
            }
            done = true;
            buffer.clear();
            try {
                subscriber.onError(error);
            } catch (RuntimeException e) {
                LOG.warn("a subscriber failed in onError", e);
            }
        }
    }
}

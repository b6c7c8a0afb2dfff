package dev.assistant.metrics.notify;

import dev.assistant.metrics.alert.AlertEvent;
import dev.assistant.metrics.alert.Notifier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * POSTs alert events to an HTTP webhook (a chat robot, an incident tool) without ever blocking the caller.
 *
 * <p>{@link #send} renders the body, appends it to a queue of at most {@code queueCapacity} undelivered events and
 * returns; delivery runs on the notifier's executor through the JDK {@link HttpClient}, one event at a time so the
 * receiver sees events in order (a RESOLVED never overtakes its FIRING). Each attempt is bounded by the request
 * timeout, failed attempts are retried with exponential backoff up to {@code maxAttempts}. When the queue is full
 * the event is dropped and counted ({@link #droppedCount()}). The webhook URI often carries a secret (WeCom's
 * {@code key=} query parameter), so logs show only its scheme, host and path.
 */
public final class WebhookNotifier implements Notifier {
    private static final Logger LOG = LoggerFactory.getLogger(WebhookNotifier.class);

    private final URI uri;
    private final String safeUri;
    private final WebhookFormat format;
    private final Duration requestTimeout;
    private final int maxAttempts;
    private final Duration initialBackoff;
    private final Duration maxBackoff;
    private final int queueCapacity;
    private final ScheduledExecutorService executor;
    private final boolean ownsExecutor;
    private final HttpClient client;
    private final ArrayDeque<Delivery> queue = new ArrayDeque<>(); // guarded by this
    private boolean busy; // guarded by this: the delivery chain is running
    private boolean inFlight; // guarded by this: a polled event is being delivered or awaits a retry
    private final AtomicLong delivered = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();

    private WebhookNotifier(Builder b) {
        this.uri = b.uri;
        this.safeUri = b.uri.getScheme() + "://" + b.uri.getAuthority() + (b.uri.getPath() == null ? "" : b.uri.getPath());
        this.format = b.format;
        this.requestTimeout = b.requestTimeout;
        this.maxAttempts = b.maxAttempts;
        this.initialBackoff = b.initialBackoff;
        this.maxBackoff = b.maxBackoff;
        this.queueCapacity = b.queueCapacity;
        this.ownsExecutor = b.executor == null;
        this.executor = ownsExecutor ? Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "assistant-webhook-notifier");
            t.setDaemon(true);
            return t;
        }) : b.executor;
        this.client = HttpClient.newBuilder().connectTimeout(b.connectTimeout).executor(executor)
                .followRedirects(HttpClient.Redirect.NEVER).build();
    }

    /** Starts configuring a notifier that posts to {@code uri} ({@code http} or {@code https}). */
    public static Builder builder(URI uri) {
        return new Builder(uri);
    }

    @Override
    public void send(AlertEvent event) {
        Objects.requireNonNull(event, "event");
        Delivery delivery;
        try {
            delivery = new Delivery(event, format.body(event));
        } catch (RuntimeException e) {
            failed.incrementAndGet();
            LOG.warn("Webhook {} could not render alert {}", safeUri, event.headline(), e);
            return;
        }
        boolean start;
        synchronized (this) {
            if (queue.size() + (inFlight ? 1 : 0) >= queueCapacity) {
                long n = dropped.incrementAndGet();
                if (n % 100 == 1) {
                    LOG.warn("Webhook {} is backlogged ({} undelivered); dropped alert {} ({} dropped so far)",
                            safeUri, queueCapacity, event.headline(), n);
                }
                return;
            }
            queue.add(delivery);
            start = !busy;
            busy = true;
        }
        if (start) {
            try {
                executor.execute(this::deliverNext);
            } catch (RuntimeException e) {
                synchronized (this) {
                    busy = false;
                }
                LOG.warn("Webhook {} could not start delivery (executor shut down?)", safeUri, e);
            }
        }
    }

    private void deliverNext() {
        Delivery next;
        synchronized (this) {
            next = queue.poll();
            inFlight = next != null;
            if (next == null) {
                busy = false;
                return;
            }
        }
        attempt(next, 1);
    }

    private void attempt(Delivery delivery, int attempt) {
        HttpRequest request = HttpRequest.newBuilder(uri)
                .timeout(requestTimeout)
                .header("Content-Type", "application/json; charset=utf-8")
                .POST(HttpRequest.BodyPublishers.ofString(delivery.body, StandardCharsets.UTF_8))
                .build();
        try {
            client.sendAsync(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8))
                    .whenComplete((response, error) -> {
                        if (error != null) {
                            finish(delivery, attempt, WebhookFormat.Outcome.RETRY, error.getClass().getSimpleName());
                        } else {
                            finish(delivery, attempt, format.judge(response.statusCode(), response.body()),
                                    "HTTP " + response.statusCode());
                        }
                    });
        } catch (RuntimeException e) {
            finish(delivery, attempt, WebhookFormat.Outcome.RETRY, e.getClass().getSimpleName());
        }
    }

    private void finish(Delivery delivery, int attempt, WebhookFormat.Outcome outcome, String why) {
        if (outcome == WebhookFormat.Outcome.RETRY && attempt < maxAttempts) {
            long backoff = Math.min(maxBackoff.toNanos(), initialBackoff.toNanos() << Math.min(attempt - 1, 30));
            try {
                executor.schedule(() -> attempt(delivery, attempt + 1), backoff, TimeUnit.NANOSECONDS);
                return;
            } catch (RuntimeException e) {
                why = why + ", retry not scheduled: " + e.getClass().getSimpleName();
            }
        }
        // Leave the in-flight state before counting, so a reader that sees the count also sees it settled.
        synchronized (this) {
            inFlight = false;
        }
        if (outcome == WebhookFormat.Outcome.DELIVERED) {
            delivered.incrementAndGet();
        } else {
            giveUp(delivery, attempt, why);
        }
        try {
            executor.execute(this::deliverNext);
        } catch (RuntimeException e) {
            synchronized (this) {
                busy = false;
            }
        }
    }

    private void giveUp(Delivery delivery, int attempt, String why) {
        failed.incrementAndGet();
        LOG.warn("Webhook {} did not accept alert {} after {} attempt(s): {}", safeUri, delivery.event.headline(),
                attempt, why);
    }

    /** One event and its rendered body. */
    private record Delivery(AlertEvent event, String body) {
    }

    /** Events accepted by the receiver. */
    public long deliveredCount() {
        return delivered.get();
    }

    /** Events given up on (rejected, or retries exhausted). */
    public long failedCount() {
        return failed.get();
    }

    /** Events dropped because {@code queueCapacity} were undelivered. */
    public long droppedCount() {
        return dropped.get();
    }

    /** Events queued or being delivered. */
    public synchronized int pendingCount() {
        return queue.size() + (inFlight ? 1 : 0);
    }

    /** Stops the notifier's own executor (an injected executor is left to its owner). */
    @Override
    public void close() {
        if (ownsExecutor) {
            executor.shutdownNow();
        }
    }

    @Override
    public String toString() {
        return "WebhookNotifier[" + safeUri + ", " + format + "]";
    }

    /** Configures a {@link WebhookNotifier}; every option has a default except the URI. */
    public static final class Builder {
        private final URI uri;
        private WebhookFormat format = WebhookFormat.GENERIC_JSON;
        private Duration connectTimeout = Duration.ofSeconds(3);
        private Duration requestTimeout = Duration.ofSeconds(5);
        private int maxAttempts = 3;
        private Duration initialBackoff = Duration.ofSeconds(1);
        private Duration maxBackoff = Duration.ofSeconds(30);
        private int queueCapacity = 100;
        private ScheduledExecutorService executor;

        private Builder(URI uri) {
            Objects.requireNonNull(uri, "uri");
            if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme())) {
                throw new IllegalArgumentException("webhook URI must be http or https, was scheme "
                        + uri.getScheme());
            }
            if (uri.getHost() == null) {
                throw new IllegalArgumentException("webhook URI must have a host");
            }
            this.uri = uri;
        }

        /** Body format (default {@link WebhookFormat#GENERIC_JSON}). */
        public Builder format(WebhookFormat value) {
            this.format = Objects.requireNonNull(value, "format");
            return this;
        }

        /** TCP connect timeout (default 3 s). */
        public Builder connectTimeout(Duration value) {
            this.connectTimeout = positive(value, "connectTimeout");
            return this;
        }

        /** Timeout of one attempt, from sending to the response (default 5 s). */
        public Builder requestTimeout(Duration value) {
            this.requestTimeout = positive(value, "requestTimeout");
            return this;
        }

        /** Attempts per event including the first (default 3). */
        public Builder maxAttempts(int value) {
            if (value < 1 || value > 20) {
                throw new IllegalArgumentException("maxAttempts must be 1..20, was " + value);
            }
            this.maxAttempts = value;
            return this;
        }

        /** Backoff before the second attempt, doubling afterwards up to {@code max} (default 1 s, 30 s). */
        public Builder backoff(Duration initial, Duration max) {
            this.initialBackoff = positive(initial, "initial backoff");
            this.maxBackoff = positive(max, "max backoff");
            if (max.compareTo(initial) < 0) {
                throw new IllegalArgumentException("max backoff must not be below the initial backoff");
            }
            return this;
        }

        /** Most events undelivered at once; more are dropped (default 100). */
        public Builder queueCapacity(int value) {
            if (value < 1) {
                throw new IllegalArgumentException("queueCapacity must be positive, was " + value);
            }
            this.queueCapacity = value;
            return this;
        }

        /**
         * Runs deliveries, retries and the HTTP client's callbacks on {@code value}, which the caller owns and shuts
         * down (default: a daemon thread owned and stopped by {@link #close()}).
         */
        public Builder executor(ScheduledExecutorService value) {
            this.executor = Objects.requireNonNull(value, "executor");
            return this;
        }

        public WebhookNotifier build() {
            return new WebhookNotifier(this);
        }

        private static Duration positive(Duration d, String name) {
            Objects.requireNonNull(d, name);
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException(name + " must be positive, was " + d);
            }
            return d;
        }
    }
}

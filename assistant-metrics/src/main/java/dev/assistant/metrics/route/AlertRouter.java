package dev.assistant.metrics.route;

import dev.assistant.api.metrics.Ticker;
import dev.assistant.metrics.alert.AlertEvent;
import dev.assistant.metrics.alert.AlertRule;
import dev.assistant.metrics.alert.Notifier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Sends each alert event along its rule's route: the primary channel first, then each fallback in order until one
 * delivers. A {@link Notifier}, so an {@code AlertEngine} uses it like any other.
 *
 * <p>{@link #send} only queues the event (at most {@code queueCapacity} undelivered; more are dropped and counted)
 * and returns; delivery runs on the router's own daemon thread (or an injected executor), one event at a time, so a
 * slow SMTP server never blocks the engine and a RESOLVED never overtakes its FIRING. Every channel has a token-bucket
 * {@link RateLimit} on the injected {@link Ticker}: when it is exhausted the channel is skipped like a failed one.
 * De-duplication stays where it was, in the engine (one event per transition, repeats after the cool-down).
 *
 * <p>Every failure is reported: a WARN line per failed or skipped channel, an ERROR line when no channel of the
 * route delivered, and counters ({@link #stats()}, {@link #undeliveredCount()}, {@link #droppedCount()}) that the
 * Micrometer binding exports. Log lines name the rule, the channel and the channel's safe reason, never a secret.
 */
public final class AlertRouter implements Notifier {
    private static final Logger LOG = LoggerFactory.getLogger(AlertRouter.class);

    private final Map<String, ChannelState> channels;
    private final List<String> defaultRoute;
    private final Ticker ticker;
    private final Executor executor;
    private final ExecutorService ownExecutor;
    private final int queueCapacity;
    private final AtomicInteger pending = new AtomicInteger();
    private final AtomicLong undelivered = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();

    private AlertRouter(Builder b) {
        if (b.channels.isEmpty()) {
            throw new IllegalStateException("an alert router needs at least one channel");
        }
        Map<String, ChannelState> states = new LinkedHashMap<>();
        for (AlertChannel channel : b.channels) {
            RateLimit limit = b.limits.getOrDefault(channel.name(), b.defaultLimit);
            states.put(channel.name(), new ChannelState(channel, new ChannelRateLimiter(limit)));
        }
        for (String name : b.limits.keySet()) {
            if (!states.containsKey(name)) {
                throw new IllegalStateException("rate limit for unknown channel " + name);
            }
        }
        this.channels = Map.copyOf(states);
        this.defaultRoute = List.copyOf(b.defaultRoute);
        checkRoute("the default route", defaultRoute);
        this.ticker = b.ticker == null ? Ticker.SYSTEM : b.ticker;
        this.queueCapacity = b.queueCapacity;
        if (b.executor != null) {
            this.executor = b.executor;
            this.ownExecutor = null;
        } else {
            ThreadPoolExecutor own = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>(),
                    r -> {
                        Thread t = new Thread(r, "assistant-alert-router");
                        t.setDaemon(true);
                        return t;
                    });
            this.executor = own;
            this.ownExecutor = own;
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Fails with a message naming the rule and channel when a rule routes to a channel this router does not have,
     * or has no route while the router has no default route. Call it once after building the rules.
     */
    public void checkRoutes(Collection<AlertRule> rules) {
        for (AlertRule rule : rules) {
            if (rule.channels().isEmpty() && defaultRoute.isEmpty()) {
                throw new IllegalStateException("rule " + rule.name() + " names no channels and the router has no "
                        + "default route");
            }
            checkRoute("rule " + rule.name(), rule.channels());
        }
    }

    private void checkRoute(String owner, List<String> route) {
        for (String name : route) {
            if (!channels.containsKey(name)) {
                throw new IllegalStateException(owner + " routes to channel '" + name + "', which is not configured; "
                        + "configured: " + channels.keySet().stream().sorted().toList());
            }
        }
    }

    /** The route of {@code event}: its rule's channels, or the default route when the rule names none. */
    public List<String> route(AlertEvent event) {
        return event.channels().isEmpty() ? defaultRoute : event.channels();
    }

    /** Queues {@code event} for delivery along its route and returns at once. */
    @Override
    public void send(AlertEvent event) {
        Objects.requireNonNull(event, "event");
        if (pending.incrementAndGet() > queueCapacity) {
            pending.decrementAndGet();
            drop(event, "the delivery queue is full (" + queueCapacity + " undelivered)");
            return;
        }
        try {
            executor.execute(() -> {
                try {
                    deliverNow(event);
                } catch (RuntimeException e) {
                    LOG.error("Alert {} could not be routed", event.rule(), e);
                } finally {
                    pending.decrementAndGet();
                }
            });
        } catch (RejectedExecutionException e) {
            pending.decrementAndGet();
            drop(event, "the router is closed");
        }
    }

    private void drop(AlertEvent event, String why) {
        long n = dropped.incrementAndGet();
        if (n % 100 == 1) {
            LOG.warn("Alert {} dropped: {} ({} dropped so far)", event.headline(), why, n);
        }
    }

    /**
     * Delivers {@code event} along its route on the calling thread and reports what happened (the operator's
     * {@code alerts test} uses this). Deliveries are serialised with the router's own.
     */
    public synchronized DeliveryReport deliverNow(AlertEvent event) {
        List<String> route = route(event);
        List<DeliveryReport.Attempt> attempts = new ArrayList<>();
        for (int i = 0; i < route.size(); i++) {
            String name = route.get(i);
            ChannelState state = channels.get(name);
            DeliveryReport.Attempt attempt = state == null
                    ? new DeliveryReport.Attempt(name, DeliveryReport.Outcome.FAILED, "no such channel")
                    : state.attempt(event, ticker.read());
            attempts.add(attempt);
            if (attempt.outcome() == DeliveryReport.Outcome.DELIVERED) {
                break;
            }
            String next = i + 1 < route.size() ? "falling back to " + route.get(i + 1) : "no fallback left";
            LOG.warn("Alert {} ({}) not delivered on channel {}: {}; {}", event.rule(), event.status(), name,
                    attempt.reason(), next);
        }
        DeliveryReport report = new DeliveryReport(event.rule(), attempts);
        if (!report.delivered()) {
            undelivered.incrementAndGet();
            LOG.error("Alert {} was delivered on no channel of its route {}", event.headline(), route);
        }
        return report;
    }

    /** Per-channel counters, by channel name. */
    public Map<String, ChannelStats> stats() {
        Map<String, ChannelStats> out = new LinkedHashMap<>();
        channels.keySet().stream().sorted().forEach(name -> out.put(name, channels.get(name).stats()));
        return out;
    }

    /** Events no channel of their route delivered. */
    public long undeliveredCount() {
        return undelivered.get();
    }

    /** Events dropped before routing because the queue was full or the router closed. */
    public long droppedCount() {
        return dropped.get();
    }

    /** Events queued or being delivered. */
    public int pendingCount() {
        return pending.get();
    }

    /** The configured channel names, sorted. */
    public List<String> channelNames() {
        return channels.keySet().stream().sorted().toList();
    }

    /** Stops the router's own thread (an injected executor is left to its owner) and closes every channel. */
    @Override
    public void close() {
        if (ownExecutor != null) {
            ownExecutor.shutdownNow();
        }
        for (ChannelState state : channels.values()) {
            try {
                state.channel.close();
            } catch (RuntimeException e) {
                LOG.warn("Alert channel {} failed to close", state.channel.name(), e);
            }
        }
    }

    @Override
    public String toString() {
        return "AlertRouter" + channelNames();
    }

    /** One channel with its rate limit and counters. Attempts are serialised by the router's lock. */
    private static final class ChannelState {
        final AlertChannel channel;
        final ChannelRateLimiter limiter;
        final AtomicLong delivered = new AtomicLong();
        final AtomicLong failed = new AtomicLong();
        final AtomicLong rateLimited = new AtomicLong();

        ChannelState(AlertChannel channel, ChannelRateLimiter limiter) {
            this.channel = channel;
            this.limiter = limiter;
        }

        DeliveryReport.Attempt attempt(AlertEvent event, long now) {
            if (!limiter.tryAcquire(now)) {
                rateLimited.incrementAndGet();
                return new DeliveryReport.Attempt(channel.name(), DeliveryReport.Outcome.RATE_LIMITED,
                        "rate limit exhausted");
            }
            try {
                channel.deliver(event);
                delivered.incrementAndGet();
                return new DeliveryReport.Attempt(channel.name(), DeliveryReport.Outcome.DELIVERED, "");
            } catch (ChannelException e) {
                failed.incrementAndGet();
                return new DeliveryReport.Attempt(channel.name(), DeliveryReport.Outcome.FAILED, e.getMessage());
            } catch (RuntimeException e) {
                // A channel bug or a credential lookup failure: report the type only, its message may not be ours.
                failed.incrementAndGet();
                return new DeliveryReport.Attempt(channel.name(), DeliveryReport.Outcome.FAILED,
                        "unexpected " + e.getClass().getSimpleName());
            }
        }

        ChannelStats stats() {
            return new ChannelStats(delivered.get(), failed.get(), rateLimited.get());
        }
    }

    /** Configures an {@link AlertRouter}. */
    public static final class Builder {
        private final List<AlertChannel> channels = new ArrayList<>();
        private final Map<String, RateLimit> limits = new LinkedHashMap<>();
        private RateLimit defaultLimit = RateLimit.DEFAULT;
        private List<String> defaultRoute = List.of();
        private Ticker ticker;
        private Executor executor;
        private int queueCapacity = 100;

        private Builder() {
        }

        /** Adds a channel; names must be unique. */
        public Builder channel(AlertChannel value) {
            Objects.requireNonNull(value, "channel");
            if (!AlertRule.CHANNEL_NAME.matcher(value.name()).matches()) {
                throw new IllegalArgumentException("channel name must match " + AlertRule.CHANNEL_NAME + ", was '"
                        + value.name() + "'");
            }
            if (channels.stream().anyMatch(c -> c.name().equals(value.name()))) {
                throw new IllegalArgumentException("channel " + value.name() + " was already added");
            }
            channels.add(value);
            return this;
        }

        /** The rate limit of every channel without its own (default {@link RateLimit#DEFAULT}). */
        public Builder rateLimit(RateLimit value) {
            this.defaultLimit = Objects.requireNonNull(value, "rateLimit");
            return this;
        }

        /** The rate limit of channel {@code name}. */
        public Builder rateLimit(String name, RateLimit value) {
            limits.put(Objects.requireNonNull(name, "name"), Objects.requireNonNull(value, "rateLimit"));
            return this;
        }

        /** Where events of rules that name no channels go (default: nowhere; {@link #checkRoutes} rejects them). */
        public Builder defaultRoute(List<String> value) {
            this.defaultRoute = List.copyOf(value);
            return this;
        }

        /** Monotonic time for the rate limits (default {@link Ticker#SYSTEM}). */
        public Builder ticker(Ticker value) {
            this.ticker = Objects.requireNonNull(value, "ticker");
            return this;
        }

        /** Runs deliveries on {@code value}, owned by the caller (default: a daemon thread closed by the router). */
        public Builder executor(Executor value) {
            this.executor = Objects.requireNonNull(value, "executor");
            return this;
        }

        /** Most events queued at once; more are dropped and counted (default 100). */
        public Builder queueCapacity(int value) {
            if (value < 1) {
                throw new IllegalArgumentException("queueCapacity must be positive, was " + value);
            }
            this.queueCapacity = value;
            return this;
        }

        public AlertRouter build() {
            return new AlertRouter(this);
        }
    }
}

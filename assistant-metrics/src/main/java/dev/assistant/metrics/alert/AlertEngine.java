package dev.assistant.metrics.alert;

import dev.assistant.api.metrics.Ticker;
import dev.assistant.metrics.memory.MetricsSnapshot;
import dev.assistant.metrics.system.SystemSample;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Evaluates {@link AlertRule}s against request metrics and system samples and notifies on transitions.
 *
 * <p>Per rule: OK → PENDING when the condition first holds (or straight to FIRING when the rule has no sustain
 * period); PENDING → FIRING, notified once, when it has held for the sustain period; while FIRING, a repeat is
 * notified at most every cool-down; FIRING → OK, notified as RESOLVED, when the condition no longer holds; PENDING →
 * OK silently. Durations are measured with the injected {@link Ticker}; event timestamps come from the wall clock.
 *
 * <p>The engine owns no thread: {@link #start} schedules {@link #evaluate()} on a host executor, and tests call
 * {@link #evaluate(long)} directly with a scripted time. Evaluation is serialised; a failing source or notifier is
 * logged and does not stop evaluation.
 */
public final class AlertEngine {
    private static final Logger LOG = LoggerFactory.getLogger(AlertEngine.class);

    private final List<AlertRule> rules;
    private final Supplier<MetricsSnapshot> requestMetrics;
    private final Supplier<SystemSample> systemMetrics;
    private final List<Notifier> notifiers;
    private final Ticker ticker;
    private final InstantSource wallClock;
    private final Map<String, RuleTracker> trackers = new LinkedHashMap<>();

    private AlertEngine(Builder b) {
        this.rules = List.copyOf(b.rules == null ? AlertRules.defaults() : b.rules);
        Set<String> names = new HashSet<>();
        for (AlertRule rule : rules) {
            if (!names.add(rule.name())) {
                throw new IllegalArgumentException("duplicate rule name " + rule.name());
            }
            trackers.put(rule.name(), new RuleTracker(rule));
        }
        this.requestMetrics = b.requestMetrics;
        this.systemMetrics = b.systemMetrics;
        if (requestMetrics == null && systemMetrics == null) {
            throw new IllegalStateException("an alert engine needs requestMetrics and/or systemMetrics");
        }
        this.notifiers = List.copyOf(b.notifiers);
        if (notifiers.isEmpty()) {
            throw new IllegalStateException("an alert engine needs at least one notifier");
        }
        this.ticker = b.ticker == null ? Ticker.SYSTEM : b.ticker;
        this.wallClock = b.wallClock == null ? InstantSource.system() : b.wallClock;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The rules, in evaluation order. */
    public List<AlertRule> rules() {
        return rules;
    }

    /** Evaluates every rule now (ticker time) and returns the events notified. */
    public List<AlertEvent> evaluate() {
        return evaluate(ticker.read());
    }

    /**
     * Evaluates every rule as of ticker time {@code nowNanos}, notifies the resulting events and returns them.
     * Times passed in successive calls must not go backwards.
     */
    public synchronized List<AlertEvent> evaluate(long nowNanos) {
        AlertInputs inputs = new AlertInputs(read(requestMetrics, "request metrics"),
                read(systemMetrics, "system metrics"));
        Instant at = wallClock.instant();
        List<AlertEvent> events = new ArrayList<>();
        for (RuleTracker tracker : trackers.values()) {
            double value;
            try {
                value = tracker.rule.signal().read(inputs);
            } catch (RuntimeException e) {
                LOG.warn("Alert rule {} could not read its signal; treating it as unknown", tracker.rule.name(), e);
                value = Double.NaN;
            }
            AlertEvent event = tracker.update(value, nowNanos, at);
            if (event != null) {
                events.add(event);
            }
        }
        for (AlertEvent event : events) {
            for (Notifier notifier : notifiers) {
                try {
                    notifier.send(event);
                } catch (RuntimeException e) {
                    LOG.warn("Notifier {} failed to send {}", notifier.getClass().getName(), event.headline(), e);
                }
            }
        }
        return events;
    }

    /** The state of every rule after the latest evaluation, in rule order. */
    public synchronized List<RuleStatus> status() {
        List<RuleStatus> out = new ArrayList<>();
        for (RuleTracker t : trackers.values()) {
            out.add(new RuleStatus(t.rule, t.state, t.lastValue));
        }
        return out;
    }

    /** Evaluates every {@code interval} on {@code scheduler}; cancel the returned future to stop. */
    public ScheduledFuture<?> start(ScheduledExecutorService scheduler, Duration interval) {
        Objects.requireNonNull(scheduler, "scheduler");
        if (interval.isNegative() || interval.isZero()) {
            throw new IllegalArgumentException("interval must be positive, was " + interval);
        }
        return scheduler.scheduleAtFixedRate(() -> {
            try {
                evaluate();
            } catch (RuntimeException e) {
                // A throwing task would silently cancel the schedule and end alerting.
                LOG.error("Alert evaluation failed", e);
            }
        }, interval.toNanos(), interval.toNanos(), TimeUnit.NANOSECONDS);
    }

    private static <T> T read(Supplier<T> source, String name) {
        if (source == null) {
            return null;
        }
        try {
            return source.get();
        } catch (RuntimeException e) {
            LOG.warn("Alert source {} failed; its signals are unknown for this evaluation", name, e);
            return null;
        }
    }

    /** The state machine of one rule. Guarded by the engine's lock. */
    private static final class RuleTracker {
        final AlertRule rule;
        AlertState state = AlertState.OK;
        double lastValue = Double.NaN;
        long pendingSince;
        long lastNotified;
        Instant firingSince;

        RuleTracker(AlertRule rule) {
            this.rule = rule;
        }

        AlertEvent update(double value, long now, Instant at) {
            lastValue = value;
            boolean holds = !Double.isNaN(value) && value > rule.threshold();
            switch (state) {
                case OK -> {
                    if (holds) {
                        pendingSince = now;
                        state = AlertState.PENDING;
                        return maybeFire(value, now, at);
                    }
                    return null;
                }
                case PENDING -> {
                    if (!holds) {
                        state = AlertState.OK;
                        return null;
                    }
                    return maybeFire(value, now, at);
                }
                case FIRING -> {
                    if (!holds) {
                        state = AlertState.OK;
                        return event(AlertEvent.Status.RESOLVED, false, value, at);
                    }
                    if (now - lastNotified >= rule.cooldown().toNanos()) {
                        lastNotified = now;
                        return event(AlertEvent.Status.FIRING, true, value, at);
                    }
                    return null;
                }
                default -> throw new AssertionError(state);
            }
        }

        private AlertEvent maybeFire(double value, long now, Instant at) {
            if (now - pendingSince < rule.sustainFor().toNanos()) {
                return null;
            }
            state = AlertState.FIRING;
            lastNotified = now;
            firingSince = at;
            return event(AlertEvent.Status.FIRING, false, value, at);
        }

        private AlertEvent event(AlertEvent.Status status, boolean repeat, double value, Instant at) {
            Signal s = rule.signal();
            return new AlertEvent(rule.name(), rule.severity(), status, repeat, value, rule.threshold(),
                    s.describe(), Double.isNaN(value) ? "unknown" : s.format(value), s.format(rule.threshold()),
                    rule.summary(), firingSince, at, rule.channels());
        }
    }

    /** Configures an {@link AlertEngine}. */
    public static final class Builder {
        private List<AlertRule> rules;
        private Supplier<MetricsSnapshot> requestMetrics;
        private Supplier<SystemSample> systemMetrics;
        private final List<Notifier> notifiers = new ArrayList<>();
        private Ticker ticker;
        private InstantSource wallClock;

        private Builder() {
        }

        /** The rules to evaluate (default {@link AlertRules#defaults()}). */
        public Builder rules(List<AlertRule> value) {
            if (rules != null) {
                throw new IllegalStateException("rules were already set");
            }
            this.rules = List.copyOf(value);
            return this;
        }

        /** Where request metrics come from, typically {@code inMemoryMetrics::snapshot}. */
        public Builder requestMetrics(Supplier<MetricsSnapshot> value) {
            if (requestMetrics != null) {
                throw new IllegalStateException("requestMetrics was already set");
            }
            this.requestMetrics = Objects.requireNonNull(value, "requestMetrics");
            return this;
        }

        /** Where system samples come from, typically {@code systemMonitor::latest}. */
        public Builder systemMetrics(Supplier<SystemSample> value) {
            if (systemMetrics != null) {
                throw new IllegalStateException("systemMetrics was already set");
            }
            this.systemMetrics = Objects.requireNonNull(value, "systemMetrics");
            return this;
        }

        /** Adds a notifier (at least one is required). */
        public Builder notifier(Notifier value) {
            notifiers.add(Objects.requireNonNull(value, "notifier"));
            return this;
        }

        /** Monotonic time for sustain periods and cool-downs (default {@link Ticker#SYSTEM}). */
        public Builder ticker(Ticker value) {
            if (ticker != null) {
                throw new IllegalStateException("ticker was already set");
            }
            this.ticker = Objects.requireNonNull(value, "ticker");
            return this;
        }

        /** Wall clock for event timestamps (default {@link InstantSource#system()}). */
        public Builder wallClock(InstantSource value) {
            if (wallClock != null) {
                throw new IllegalStateException("wallClock was already set");
            }
            this.wallClock = Objects.requireNonNull(value, "wallClock");
            return this;
        }

        public AlertEngine build() {
            return new AlertEngine(this);
        }
    }
}

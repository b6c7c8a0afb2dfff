package dev.assistant.metrics.alert;

import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * An alert rule as data: fire when {@code signal > threshold} has held for {@code sustainFor}, re-notify at most
 * every {@code cooldown} while it keeps holding, resolve when it no longer holds. An unknown signal value counts as
 * "does not hold".
 *
 * @param name       stable identifier, {@code [a-z0-9_.-]+} (used as the de-duplication key by receivers)
 * @param signal     what is measured
 * @param threshold  the value the signal must exceed, in the signal's unit (fraction or milliseconds)
 * @param sustainFor how long the condition must hold before firing; zero fires on the first evaluation
 * @param cooldown   smallest time between two notifications of the same firing alert (positive)
 * @param severity   how urgent
 * @param summary    one sentence for humans: what it means and what to look at
 * @param channels   where its events go, in order: the primary channel, then the fallbacks tried when the one
 *                   before fails (names of channels registered with an {@code AlertRouter}); empty means every
 *                   notifier of the engine, as before routing existed
 */
public record AlertRule(String name, Signal signal, double threshold, Duration sustainFor, Duration cooldown,
                        Severity severity, String summary, List<String> channels) {
    private static final Pattern NAME = Pattern.compile("[a-z0-9_.-]{1,64}");
    /** What a channel name may look like (it appears in configuration, logs and metric tags). */
    public static final Pattern CHANNEL_NAME = Pattern.compile("[a-z0-9_-]{1,32}");

    public AlertRule {
        Objects.requireNonNull(name, "name");
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("rule name must match " + NAME + ", was '" + name + "'");
        }
        Objects.requireNonNull(signal, "signal");
        if (!Double.isFinite(threshold)) {
            throw new IllegalArgumentException("threshold must be finite, was " + threshold);
        }
        Objects.requireNonNull(sustainFor, "sustainFor");
        Objects.requireNonNull(cooldown, "cooldown");
        if (sustainFor.isNegative()) {
            throw new IllegalArgumentException("sustainFor must not be negative, was " + sustainFor);
        }
        if (cooldown.isNegative() || cooldown.isZero()) {
            throw new IllegalArgumentException("cooldown must be positive, was " + cooldown);
        }
        Objects.requireNonNull(severity, "severity");
        Objects.requireNonNull(summary, "summary");
        channels = List.copyOf(channels);
        Set<String> seen = new HashSet<>();
        for (String channel : channels) {
            if (!CHANNEL_NAME.matcher(channel).matches()) {
                throw new IllegalArgumentException("rule " + name + ": channel name must match " + CHANNEL_NAME
                        + ", was '" + channel + "'");
            }
            if (!seen.add(channel)) {
                throw new IllegalArgumentException("rule " + name + ": channel " + channel + " is listed twice");
            }
        }
    }

    /** Starts a rule named {@code name} on {@code signal}; defaults: sustain 0, cool-down 30 min, WARNING. */
    public static Builder builder(String name, Signal signal) {
        return new Builder(name, signal);
    }

    /** This rule with another threshold. */
    public AlertRule withThreshold(double newThreshold) {
        return new AlertRule(name, signal, newThreshold, sustainFor, cooldown, severity, summary, channels);
    }

    /** This rule with another sustain period. */
    public AlertRule withSustainFor(Duration newSustainFor) {
        return new AlertRule(name, signal, threshold, newSustainFor, cooldown, severity, summary, channels);
    }

    /** This rule with another cool-down. */
    public AlertRule withCooldown(Duration newCooldown) {
        return new AlertRule(name, signal, threshold, sustainFor, newCooldown, severity, summary, channels);
    }

    /** This rule with another severity. */
    public AlertRule withSeverity(Severity newSeverity) {
        return new AlertRule(name, signal, threshold, sustainFor, cooldown, newSeverity, summary, channels);
    }

    /** This rule routed to {@code newChannels}: the primary first, then the fallbacks in order. */
    public AlertRule withChannels(List<String> newChannels) {
        return new AlertRule(name, signal, threshold, sustainFor, cooldown, severity, summary, newChannels);
    }

    /** Builds an {@link AlertRule}; the threshold is required, everything else has a default. */
    public static final class Builder {
        private final String name;
        private final Signal signal;
        private Double threshold;
        private Duration sustainFor = Duration.ZERO;
        private Duration cooldown = Duration.ofMinutes(30);
        private Severity severity = Severity.WARNING;
        private String summary;
        private List<String> channels = List.of();

        private Builder(String name, Signal signal) {
            this.name = name;
            this.signal = signal;
        }

        /** Fire when the signal is above {@code value} (required). */
        public Builder above(double value) {
            this.threshold = value;
            return this;
        }

        public Builder sustainFor(Duration value) {
            this.sustainFor = value;
            return this;
        }

        public Builder cooldown(Duration value) {
            this.cooldown = value;
            return this;
        }

        public Builder severity(Severity value) {
            this.severity = value;
            return this;
        }

        /** Human explanation (default: "&lt;signal&gt; is above &lt;threshold&gt;"). */
        public Builder summary(String value) {
            this.summary = value;
            return this;
        }

        /** The channels, primary first, then fallbacks (default none: every notifier of the engine). */
        public Builder channels(String... value) {
            this.channels = List.of(value);
            return this;
        }

        public AlertRule build() {
            if (threshold == null) {
                throw new IllegalStateException("rule " + name + ": threshold not set (call above(...))");
            }
            String text = summary != null ? summary
                    : signal.describe() + " is above " + signal.format(threshold);
            return new AlertRule(name, signal, threshold, sustainFor, cooldown, severity, text, channels);
        }
    }
}

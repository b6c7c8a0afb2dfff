package dev.assistant.metrics.config;

import dev.assistant.metrics.alert.AlertRule;
import dev.assistant.metrics.alert.Severity;

import java.time.Duration;
import java.util.List;

/**
 * Overrides of one default rule; every field is optional and a missing one keeps the default.
 *
 * @param enabled    false drops the rule
 * @param threshold  in the signal's unit (a fraction for CPU, memory and error rate; milliseconds for latency)
 * @param sustainFor ISO-8601 duration the condition must hold before firing
 * @param cooldown   ISO-8601 duration between repeats
 * @param severity   INFO, WARNING or CRITICAL
 * @param channels   the route: primary channel, then fallbacks
 */
public record RuleSettings(Boolean enabled, Double threshold, Duration sustainFor, Duration cooldown,
                           Severity severity, List<String> channels) {
    public RuleSettings {
        channels = channels == null ? null : List.copyOf(channels);
    }

    /** Whether the rule stays in (default true). */
    public boolean isEnabled() {
        return enabled == null || enabled;
    }

    /** {@code rule} with these overrides applied (validated by {@link AlertRule}). */
    public AlertRule applyTo(AlertRule rule) {
        AlertRule r = rule;
        if (threshold != null) {
            r = r.withThreshold(threshold);
        }
        if (sustainFor != null) {
            r = r.withSustainFor(sustainFor);
        }
        if (cooldown != null) {
            r = r.withCooldown(cooldown);
        }
        if (severity != null) {
            r = r.withSeverity(severity);
        }
        if (channels != null) {
            r = r.withChannels(channels);
        }
        return r;
    }
}

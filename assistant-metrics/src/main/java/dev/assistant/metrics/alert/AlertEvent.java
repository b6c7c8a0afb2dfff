package dev.assistant.metrics.alert;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * A notification about one rule: it started firing, is still firing (a repeat after the cool-down), or resolved.
 *
 * @param rule      the rule's name (stable; receivers de-duplicate on it)
 * @param severity  the rule's severity
 * @param status    firing or resolved
 * @param repeat    whether this is a reminder of an alert already notified as firing
 * @param value     the signal's value at evaluation (NaN when it resolved because the value became unknown)
 * @param threshold the rule's threshold
 * @param signal    what was measured, for humans
 * @param valueText the value in the signal's unit, for humans ("unknown" for NaN)
 * @param thresholdText the threshold in the signal's unit, for humans
 * @param summary   the rule's explanation
 * @param since     when the alert started firing
 * @param at        when this event was produced
 * @param channels  the rule's route (primary, then fallbacks); empty when the rule has none
 */
public record AlertEvent(String rule, Severity severity, Status status, boolean repeat, double value,
                         double threshold, String signal, String valueText, String thresholdText, String summary,
                         Instant since, Instant at, List<String> channels) {
    public AlertEvent {
        channels = List.copyOf(channels);
        Objects.requireNonNull(rule, "rule");
        Objects.requireNonNull(severity, "severity");
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(signal, "signal");
        Objects.requireNonNull(valueText, "valueText");
        Objects.requireNonNull(thresholdText, "thresholdText");
        Objects.requireNonNull(summary, "summary");
        Objects.requireNonNull(since, "since");
        Objects.requireNonNull(at, "at");
    }

    /** Whether the alert is (still) firing. */
    public boolean firing() {
        return status == Status.FIRING;
    }

    /** A one-line headline, for example {@code [FIRING] high_cpu: system CPU load 91.0% > 85.0%}. */
    public String headline() {
        return "[" + status + "] " + rule + ": " + signal + " " + valueText
                + (status == Status.FIRING ? " > " : " <= ") + thresholdText;
    }

    /** Firing or resolved. */
    public enum Status {
        FIRING, RESOLVED
    }
}

package dev.assistant.metrics.alert;

/**
 * The state of one rule after the latest evaluation.
 *
 * @param rule      the rule
 * @param state     OK, pending or firing
 * @param lastValue the signal's value at the latest evaluation (NaN when unknown or never evaluated)
 */
public record RuleStatus(AlertRule rule, AlertState state, double lastValue) {
}

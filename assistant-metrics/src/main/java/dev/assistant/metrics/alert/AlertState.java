package dev.assistant.metrics.alert;

/** Where a rule is in its life cycle. */
public enum AlertState {
    /** The condition does not hold. */
    OK,
    /** The condition holds but not yet for the rule's sustain period; nothing notified. */
    PENDING,
    /** The condition has held for the sustain period; notified, and re-notified at most every cool-down. */
    FIRING
}

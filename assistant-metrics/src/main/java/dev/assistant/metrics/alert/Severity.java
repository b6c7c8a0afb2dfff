package dev.assistant.metrics.alert;

/** How urgently a firing alert needs a human. */
public enum Severity {
    INFO, WARNING, CRITICAL
}

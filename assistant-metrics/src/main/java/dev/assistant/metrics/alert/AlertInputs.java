package dev.assistant.metrics.alert;

import dev.assistant.metrics.memory.MetricsSnapshot;
import dev.assistant.metrics.system.SystemSample;

/**
 * What alert rules are evaluated against at one instant. Either part may be {@code null} when that source is not
 * configured; signals reading it then report unknown.
 *
 * @param requests request metrics over the sliding window, or {@code null}
 * @param system   the latest process/host sample, or {@code null}
 */
public record AlertInputs(MetricsSnapshot requests, SystemSample system) {
}

package dev.assistant.metrics.alert;

import dev.assistant.metrics.memory.Distribution;
import dev.assistant.metrics.memory.MetricsSnapshot;

import java.time.Duration;
import java.util.List;

/**
 * The deployment guide's alert defaults: CPU above 85% for 5 minutes, memory above 90% for 5 minutes, API error
 * rate above 5% over the metrics window (at least 20 calls), P99 latency above 500 ms over the metrics window (at
 * least 20 successful calls). Each can be adjusted with the {@code with...} methods of {@link AlertRule}.
 *
 * <p>Routes follow the guide: CPU to the WeCom robot ({@value #WECOM}), memory to e-mail ({@value #EMAIL}), the
 * error rate to SMS ({@value #SMS}), P99 latency to a phone call ({@value #VOICE}); no fallbacks by default.
 */
public final class AlertRules {
    /** Default cool-down between repeated notifications of one firing alert. */
    public static final Duration DEFAULT_COOLDOWN = Duration.ofMinutes(30);
    /** Default sustain period of the CPU and memory rules. */
    public static final Duration DEFAULT_SUSTAIN = Duration.ofMinutes(5);
    /** Default minimum number of calls in the window for the error-rate and latency rules. */
    public static final long DEFAULT_MIN_REQUESTS = 20;
    /** The channel names of the guide's routes: a WeCom robot, e-mail, SMS, a phone call. */
    public static final String WECOM = "wecom", EMAIL = "email", SMS = "sms", VOICE = "voice";

    private AlertRules() {
    }

    /** The four default rules, in the order cpu, memory, error rate, latency. */
    public static List<AlertRule> defaults() {
        return List.of(highCpu(), highMemory(), highErrorRate(), highP99Latency());
    }

    /** {@code high_cpu}: host CPU load above 85% for 5 minutes. */
    public static AlertRule highCpu() {
        return AlertRule.builder("high_cpu", new Signal.SystemCpu()).above(0.85).sustainFor(DEFAULT_SUSTAIN)
                .cooldown(DEFAULT_COOLDOWN).severity(Severity.WARNING)
                .summary("Host CPU load has stayed above 85%; requests will queue and latency will rise. "
                        + "Check load, scale out or lower concurrency.")
                .channels(WECOM)
                .build();
    }

    /** {@code high_memory}: host memory used above 90% for 5 minutes. */
    public static AlertRule highMemory() {
        return AlertRule.builder("high_memory", new Signal.SystemMemoryUsed()).above(0.90)
                .sustainFor(DEFAULT_SUSTAIN).cooldown(DEFAULT_COOLDOWN).severity(Severity.CRITICAL)
                .summary("Host memory use has stayed above 90%; the process risks being killed or swapping. "
                        + "Check model weights, batch sizes and other processes.")
                .channels(EMAIL)
                .build();
    }

    /** {@code high_error_rate}: more than 5% of calls (any code but CANCELLED) failed in the window. */
    public static AlertRule highErrorRate() {
        return AlertRule.builder("high_error_rate", new Signal.ErrorRate(MetricsSnapshot.ALL_MODELS,
                        Signal.ErrorRate.allButCancelled(), DEFAULT_MIN_REQUESTS))
                .above(0.05).cooldown(DEFAULT_COOLDOWN).severity(Severity.CRITICAL)
                .summary("More than 5% of assistant calls are failing. The call log (logger dev.assistant.calls) "
                        + "shows the error codes and key ids.")
                .channels(SMS)
                .build();
    }

    /** {@code high_p99_latency}: P99 latency of successful calls above 500 ms in the window. */
    public static AlertRule highP99Latency() {
        return AlertRule.builder("high_p99_latency", new Signal.Latency(MetricsSnapshot.ALL_MODELS,
                        Distribution.Percentile.P99, DEFAULT_MIN_REQUESTS))
                .above(500).cooldown(DEFAULT_COOLDOWN).severity(Severity.WARNING)
                .summary("P99 latency of assistant calls is above 500 ms. Check queue wait, CPU and prompt sizes.")
                .channels(VOICE)
                .build();
    }
}

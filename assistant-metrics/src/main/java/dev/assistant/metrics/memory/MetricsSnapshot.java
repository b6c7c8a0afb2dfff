package dev.assistant.metrics.memory;

import dev.assistant.api.ErrorCode;
import dev.assistant.metrics.Json;

import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * An immutable view of {@link InMemoryMetrics} at one instant, to print ({@link #toText()}), serve
 * ({@link #toJson()}) or feed to alert rules.
 *
 * @param takenAt    wall-clock time of the snapshot
 * @param window     nominal length of the sliding window the distributions cover
 * @param queueDepth last reported scheduler queue depth, or -1 if never reported
 * @param total      all models together (model name {@link #ALL_MODELS})
 * @param models     per model, sorted by name
 */
public record MetricsSnapshot(Instant takenAt, Duration window, int queueDepth, ModelMetrics total,
                              Map<String, ModelMetrics> models) {
    /** Model name of the aggregate over all models. */
    public static final String ALL_MODELS = "*";

    public MetricsSnapshot {
        Objects.requireNonNull(takenAt, "takenAt");
        Objects.requireNonNull(window, "window");
        Objects.requireNonNull(total, "total");
        models = Collections.unmodifiableMap(new TreeMap<>(models));
    }

    /** The metrics of {@code model}, if any call or load of it was recorded. */
    public Optional<ModelMetrics> model(String model) {
        return ALL_MODELS.equals(model) ? Optional.of(total) : Optional.ofNullable(models.get(model));
    }

    /** A human-readable multi-line report (milliseconds, percentiles of the window). */
    public String toText() {
        StringBuilder sb = new StringBuilder();
        sb.append("assistant metrics at ").append(takenAt).append(" (window ").append(window)
                .append(", queue depth ").append(queueDepth < 0 ? "unknown" : queueDepth).append(")\n");
        appendText(sb, total);
        for (ModelMetrics m : models.values()) {
            appendText(sb, m);
        }
        return sb.toString();
    }

    private static void appendText(StringBuilder sb, ModelMetrics m) {
        sb.append("model ").append(m.model())
                .append(": started=").append(m.started())
                .append(" succeeded=").append(m.succeeded())
                .append(" failed=").append(m.failed())
                .append(" in_flight=").append(m.inFlight())
                .append(" rate_limited=").append(m.rateLimited())
                .append(" auth_failures=").append(m.authenticationFailures())
                .append(" policy_failures=").append(m.policyFailures())
                .append(" prompt_tokens=").append(m.promptTokens())
                .append(" completion_tokens=").append(m.completionTokens());
        if (m.loadNanos() >= 0) {
            sb.append(" load_ms=").append(millis(m.loadNanos()));
        }
        if (m.weightBytes() >= 0) {
            sb.append(" weight_bytes=").append(m.weightBytes());
        }
        sb.append('\n');
        appendText(sb, "latency", m.latency());
        appendText(sb, "ttft", m.ttft());
        appendText(sb, "tpot", m.tpot());
        appendText(sb, "queue_wait", m.queueWait());
        if (!m.failures().isEmpty()) {
            sb.append("  failures:");
            new TreeMap<>(m.failures()).forEach((code, n) ->
                    sb.append(' ').append(code).append('(').append(code.httpStatus()).append(")=").append(n));
            sb.append('\n');
        }
    }

    private static void appendText(StringBuilder sb, String name, Distribution d) {
        sb.append("  ").append(name).append(": ");
        if (d.isEmpty()) {
            sb.append("no data\n");
            return;
        }
        sb.append("count=").append(d.count())
                .append(" p50=").append(millis(d.p50())).append("ms")
                .append(" p95=").append(millis(d.p95())).append("ms")
                .append(" p99=").append(millis(d.p99())).append("ms")
                .append(" p99.9=").append(millis(d.p999())).append("ms")
                .append(" max=").append(millis(d.max())).append("ms\n");
    }

    private static String millis(long nanos) {
        return String.format(java.util.Locale.ROOT, "%.3f", nanos / 1e6);
    }

    /** The snapshot as one compact JSON object (durations in nanoseconds). */
    public String toJson() {
        Json.ObjectBuilder modelsJson = Json.object();
        models.forEach((name, m) -> modelsJson.rawField(name, toJson(m)));
        return Json.object()
                .field("takenAt", takenAt.toString())
                .field("windowNanos", window.toNanos())
                .field("queueDepth", queueDepth)
                .rawField("total", toJson(total))
                .rawField("models", modelsJson.build())
                .build();
    }

    private static String toJson(ModelMetrics m) {
        Json.ObjectBuilder failures = Json.object();
        new TreeMap<ErrorCode, Long>(m.failures()).forEach((code, n) -> failures.field(code.name(), n));
        Json.ObjectBuilder byOutcome = Json.object();
        new TreeMap<>(m.latencyByOutcome()).forEach((outcome, d) -> byOutcome.rawField(outcome, toJson(d)));
        return Json.object()
                .field("model", m.model())
                .field("started", m.started())
                .field("succeeded", m.succeeded())
                .field("failed", m.failed())
                .field("inFlight", m.inFlight())
                .field("promptTokens", m.promptTokens())
                .field("completionTokens", m.completionTokens())
                .field("loadNanos", m.loadNanos())
                .field("weightBytes", m.weightBytes())
                .rawField("failures", failures.build())
                .rawField("latency", toJson(m.latency()))
                .rawField("latencyByOutcome", byOutcome.build())
                .rawField("ttft", toJson(m.ttft()))
                .rawField("tpot", toJson(m.tpot()))
                .rawField("queueWait", toJson(m.queueWait()))
                .build();
    }

    private static String toJson(Distribution d) {
        return Json.object()
                .field("count", d.count())
                .field("min", d.min())
                .field("max", d.max())
                .field("mean", d.mean())
                .field("p50", d.p50())
                .field("p95", d.p95())
                .field("p99", d.p99())
                .field("p99.9", d.p999())
                .build();
    }
}

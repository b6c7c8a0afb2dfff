package dev.assistant.metrics.prometheus;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import dev.assistant.api.ErrorCode;
import dev.assistant.metrics.alert.AlertRule;
import dev.assistant.metrics.alert.Signal;
import dev.assistant.metrics.memory.Distribution;
import dev.assistant.metrics.memory.MetricsSnapshot;

import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Translates alert rules into Prometheus alerting rules over the names the server's {@code /metrics} exposes, so a
 * Prometheus + Alertmanager deployment fires on the same thresholds and holds as the SDK:
 * <ul>
 *   <li>{@code SystemCpu} / {@code SystemMemoryUsed} read {@value #CPU} / {@value #MEMORY} (bound by
 *       {@code SystemMetrics}); the rule's sustain period becomes {@code for:}.</li>
 *   <li>{@code ErrorRate} is failed / ended calls over the window from
 *       {@value #DURATION}{@code _count} ({@code error_type} is the ErrorCode, absent on success), with the same
 *       minimum number of calls.</li>
 *   <li>{@code Latency} is {@code histogram_quantile} over the successful calls' {@value #DURATION}{@code _bucket},
 *       in seconds (Prometheus interpolates inside the bucket, the SDK's HdrHistogram is exact to 1%).</li>
 * </ul>
 * The SDK judges request rules over its in-memory window (1 minute by default): {@code window} is the range of
 * {@code rate()}/{@code increase()} and should match it (and be at least four scrape intervals).
 * Labels: {@code severity} (lower case), {@code channel} (primary), {@code route} (all channels, comma-separated),
 * for the Alertmanager routes in the module README.
 */
public final class PrometheusRules {
    /** Gauge of host CPU load. */
    public static final String CPU = "assistant_system_cpu_load";
    /** Gauge of host memory used. */
    public static final String MEMORY = "assistant_system_memory_used_ratio";
    /** Histogram of call durations ({@code gen_ai.client.operation.duration}). */
    public static final String DURATION = "gen_ai_client_operation_duration_seconds";
    /** The rule group's name. */
    public static final String GROUP = "assistant-alerts";

    private PrometheusRules() {
    }

    /** The rule file for {@code rules}, request rates over {@code window}. */
    public static RuleFile export(List<AlertRule> rules, Duration window) {
        Objects.requireNonNull(window, "window");
        if (window.compareTo(Duration.ofSeconds(1)) < 0) {
            throw new IllegalArgumentException("window must be at least 1s, was " + window);
        }
        List<Rule> out = new ArrayList<>();
        for (AlertRule rule : rules) {
            out.add(rule(rule, window));
        }
        return new RuleFile(List.of(new Group(GROUP, out)));
    }

    static Rule rule(AlertRule rule, Duration window) {
        Signal s = rule.signal();
        String range = "[" + duration(window) + "]";
        String expr;
        if (s instanceof Signal.SystemCpu) {
            expr = CPU + " > " + number(rule.threshold());
        } else if (s instanceof Signal.SystemMemoryUsed) {
            expr = MEMORY + " > " + number(rule.threshold());
        } else if (s instanceof Signal.ErrorRate e) {
            String all = selector(e.model(), null);
            expr = "(sum(rate(" + DURATION + "_count" + selector(e.model(), e.codes()) + range + ")) / sum(rate("
                    + DURATION + "_count" + all + range + "))) > " + number(rule.threshold())
                    + " and sum(increase(" + DURATION + "_count" + all + range + ")) >= " + e.minRequests();
        } else if (s instanceof Signal.Latency l) {
            String ok = successSelector(l.model());
            expr = "histogram_quantile(" + quantile(l.percentile()) + ", sum by (le) (rate(" + DURATION + "_bucket"
                    + ok + range + "))) > " + number(rule.threshold() / 1000.0)
                    + " and sum(increase(" + DURATION + "_count" + ok + range + ")) >= " + l.minRequests();
        } else {
            throw new IllegalArgumentException("rule " + rule.name() + ": signal '" + s.describe()
                    + "' has no equivalent on /metrics");
        }
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put("severity", rule.severity().name().toLowerCase(Locale.ROOT));
        if (!rule.channels().isEmpty()) {
            labels.put("channel", rule.channels().get(0));
            labels.put("route", String.join(",", rule.channels()));
        }
        Map<String, String> annotations = new LinkedHashMap<>();
        annotations.put("summary", rule.summary());
        // The value is a fraction, or seconds for latency: Prometheus' own template functions print them.
        annotations.put("description", s.describe() + " is {{ $value | "
                + (s instanceof Signal.Latency ? "humanizeDuration" : "humanizePercentage") + " }} (threshold "
                + s.format(rule.threshold()) + ")");
        return new Rule(rule.name(), expr, rule.sustainFor().isZero() ? null : duration(rule.sustainFor()), labels,
                annotations);
    }

    private static String selector(String model, Set<ErrorCode> codes) {
        List<String> matchers = new ArrayList<>();
        if (!MetricsSnapshot.ALL_MODELS.equals(model)) {
            matchers.add("gen_ai_request_model=\"" + model + "\"");
        }
        if (codes != null) {
            Set<ErrorCode> missing = EnumSet.complementOf(EnumSet.copyOf(codes));
            if (missing.size() <= codes.size()) {
                matchers.add("error_type!=\"\"");
                missing.forEach(c -> matchers.add("error_type!=\"" + c.name() + "\""));
            } else {
                matchers.add("error_type=~\"" + codes.stream().map(Enum::name).sorted()
                        .collect(Collectors.joining("|")) + "\"");
            }
        }
        return matchers.isEmpty() ? "" : "{" + String.join(",", matchers) + "}";
    }

    private static String successSelector(String model) {
        return MetricsSnapshot.ALL_MODELS.equals(model) ? "{error_type=\"\"}"
                : "{gen_ai_request_model=\"" + model + "\",error_type=\"\"}";
    }

    private static String quantile(Distribution.Percentile p) {
        return switch (p) {
            case P50 -> "0.5";
            case P95 -> "0.95";
            case P99 -> "0.99";
            case P999 -> "0.999";
        };
    }

    /** A Prometheus duration: {@code 5m}, {@code 90s}, {@code 1h30m}. */
    static String duration(Duration d) {
        long seconds = d.toSeconds();
        if (seconds <= 0) {
            return "0s";
        }
        StringBuilder out = new StringBuilder();
        long h = seconds / 3600, m = seconds % 3600 / 60, s = seconds % 60;
        if (h > 0) {
            out.append(h).append('h');
        }
        if (m > 0) {
            out.append(m).append('m');
        }
        if (s > 0) {
            out.append(s).append('s');
        }
        return out.toString();
    }

    private static String number(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : Double.toString(v);
    }

    /** A Prometheus rule file: {@code groups:}. */
    public record RuleFile(List<Group> groups) {
    }

    /** One rule group. */
    @JsonPropertyOrder({"name", "rules"})
    public record Group(String name, List<Rule> rules) {
    }

    /** One alerting rule; {@code for} is absent when the rule fires at once. */
    @JsonPropertyOrder({"alert", "expr", "for", "labels", "annotations"})
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Rule(String alert, String expr, @com.fasterxml.jackson.annotation.JsonProperty("for") String holdFor,
                       Map<String, String> labels, Map<String, String> annotations) {
    }
}

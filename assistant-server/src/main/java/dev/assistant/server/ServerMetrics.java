package dev.assistant.server;

import dev.assistant.metrics.micrometer.SystemMetrics;
import dev.assistant.metrics.system.JvmSystemProbe;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The server's own meters, beside the assistant's: HTTP requests by route, method and status
 * ({@code assistant_server_requests_seconds}), streams the client abandoned
 * ({@code assistant_server_streams_abandoned_total}) and requests in flight ({@code assistant_server_inflight}).
 * Every tag has a fixed set of values, whatever a client sends: route templates (unknown paths are {@code other}),
 * the standard methods (anything else is {@code OTHER}) and the status the server chose.
 * It also binds the host CPU and memory gauges of {@link SystemMetrics} ({@code assistant_system_cpu_load},
 * {@code assistant_system_memory_used_ratio}), which the Prometheus alerting rules of {@code assistant alerts export}
 * read.
 */
final class ServerMetrics {
    /** The methods of RFC 9110 and PATCH; a client can send any token, which must not become a new series. */
    static final Set<String> KNOWN_METHODS = Set.of("GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS",
            "TRACE", "PATCH");

    private final MeterRegistry registry;
    private final Counter abandoned;

    ServerMetrics(MeterRegistry registry, Supplier<Number> inFlight) {
        this.registry = registry;
        this.abandoned = Counter.builder("assistant.server.streams.abandoned")
                .description("Completions stopped because the client disconnected or stopped reading.")
                .register(registry);
        Gauge.builder("assistant.server.inflight", inFlight).description("API requests being served.")
                .register(registry);
        SystemMetrics.bindTo(registry, new JvmSystemProbe());
    }

    void request(String route, String method, int status, long nanos) {
        Timer.builder("assistant.server.requests").description("HTTP requests served.")
                .tag("route", route).tag("method", methodTag(method)).tag("status", statusTag(status))
                .register(registry).record(nanos, TimeUnit.NANOSECONDS);
    }

    static String methodTag(String method) {
        return method != null && KNOWN_METHODS.contains(method) ? method : "OTHER";
    }

    /** Statuses are chosen by the server; anything outside 100-599 (never expected) is folded into one value. */
    static String statusTag(int status) {
        return status >= 100 && status <= 599 ? Integer.toString(status) : "other";
    }

    void abandoned() {
        abandoned.increment();
    }

    double abandonedCount() {
        return abandoned.count();
    }
}

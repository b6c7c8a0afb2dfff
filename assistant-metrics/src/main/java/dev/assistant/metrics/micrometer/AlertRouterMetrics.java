package dev.assistant.metrics.micrometer;

import dev.assistant.metrics.route.AlertRouter;
import dev.assistant.metrics.route.ChannelStats;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;

import java.util.Objects;
import java.util.function.ToLongFunction;

/**
 * Exports an {@link AlertRouter}'s counters: {@code assistant.alerts.deliveries} by {@code channel} and
 * {@code outcome} ({@code delivered}, {@code failed}, {@code rate_limited}; Prometheus
 * {@code assistant_alerts_deliveries_total}), and {@code assistant.alerts.undelivered} /
 * {@code assistant.alerts.dropped} for events no channel took or the queue had no room for. Alert on
 * {@code increase(assistant_alerts_undelivered_total[1h]) > 0}: the alerting path itself is broken.
 */
public final class AlertRouterMetrics {
    private AlertRouterMetrics() {
    }

    /**
     * Registers the router's counters on {@code registry}, read at scrape time. Micrometer holds the router weakly:
     * the counters live as long as the host keeps the router (as its alert engine does).
     */
    public static void bindTo(MeterRegistry registry, AlertRouter router) {
        Objects.requireNonNull(registry, "registry");
        Objects.requireNonNull(router, "router");
        for (String channel : router.channelNames()) {
            counter(registry, router, channel, "delivered", ChannelStats::delivered);
            counter(registry, router, channel, "failed", ChannelStats::failed);
            counter(registry, router, channel, "rate_limited", ChannelStats::rateLimited);
        }
        FunctionCounter.builder("assistant.alerts.undelivered", router, AlertRouter::undeliveredCount)
                .description("Alert events no channel of their route delivered.")
                .register(registry);
        FunctionCounter.builder("assistant.alerts.dropped", router, AlertRouter::droppedCount)
                .description("Alert events dropped because the router's queue was full or it was closed.")
                .register(registry);
    }

    private static void counter(MeterRegistry registry, AlertRouter router, String channel, String outcome,
                                ToLongFunction<ChannelStats> field) {
        FunctionCounter.builder("assistant.alerts.deliveries", router,
                        r -> field.applyAsLong(r.stats().get(channel)))
                .description("Alert deliveries by channel and outcome.").tag("channel", channel)
                .tag("outcome", outcome).register(registry);
    }
}

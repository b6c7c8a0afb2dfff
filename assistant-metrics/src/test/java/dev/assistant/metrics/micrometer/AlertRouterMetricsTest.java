package dev.assistant.metrics.micrometer;

import dev.assistant.metrics.ManualTicker;
import dev.assistant.metrics.alert.AlertEvent;
import dev.assistant.metrics.alert.Severity;
import dev.assistant.metrics.route.AlertRouter;
import dev.assistant.metrics.route.RateLimit;
import dev.assistant.metrics.route.ScriptedChannel;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class AlertRouterMetricsTest {
    @Test
    void failuresFallbacksRateLimitsAndUndeliveredEventsAreScraped() {
        Instant t = Instant.parse("2026-01-01T00:00:00Z");
        AlertEvent event = new AlertEvent("high_memory", Severity.CRITICAL, AlertEvent.Status.FIRING, false, 0.95,
                0.9, "system memory used", "95.0%", "90.0%", "Memory.", t, t, List.of("email", "sms"));
        ScriptedChannel email = new ScriptedChannel("email").failNext("SMTP authentication failed");
        ScriptedChannel sms = new ScriptedChannel("sms");
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        try (AlertRouter router = AlertRouter.builder().channel(email).channel(sms).ticker(new ManualTicker())
                .rateLimit("sms", new RateLimit(1, Duration.ofHours(1))).build()) {
            AlertRouterMetrics.bindTo(registry, router);
            router.deliverNow(event); // email fails, sms delivers
            email.failNext("timed out");
            router.deliverNow(event); // email fails, sms rate-limited: undelivered

            String scrape = registry.scrape();
            assertThat(scrape)
                    .contains("assistant_alerts_deliveries_total{channel=\"email\",outcome=\"failed\"} 2.0")
                    .contains("assistant_alerts_deliveries_total{channel=\"sms\",outcome=\"delivered\"} 1.0")
                    .contains("assistant_alerts_deliveries_total{channel=\"sms\",outcome=\"rate_limited\"} 1.0")
                    .contains("assistant_alerts_undelivered_total 1.0")
                    .contains("assistant_alerts_dropped_total 0.0");
        }
    }
}

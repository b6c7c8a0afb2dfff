package dev.assistant.metrics.alert;

import dev.assistant.api.ErrorCode;
import dev.assistant.metrics.ManualClock;
import dev.assistant.metrics.ManualTicker;
import dev.assistant.api.metrics.MetricsListener;
import dev.assistant.api.metrics.Operation;
import dev.assistant.api.metrics.RequestInfo;
import dev.assistant.api.metrics.RequestMetrics;
import dev.assistant.api.metrics.RequestTimer;
import dev.assistant.metrics.calllog.CallLogListener;
import dev.assistant.metrics.memory.InMemoryMetrics;
import dev.assistant.metrics.micrometer.MicrometerMetricsListener;
import dev.assistant.metrics.notify.LoggingNotifier;
import dev.assistant.metrics.notify.WebhookFormat;
import dev.assistant.metrics.notify.WebhookNotifier;
import dev.assistant.metrics.system.SystemMonitor;
import dev.assistant.metrics.system.SystemSample;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The whole module wired the way the facade wires it, driven by a scripted load through {@link RequestTimer}:
 * all four default alerts fire once over a real webhook and resolve, under scripted time (no sleeps).
 */
class ScriptedAlertsEndToEndTest {
    private final ManualTicker ticker = new ManualTicker();
    private final ManualClock clock = new ManualClock(Instant.parse("2025-01-01T00:00:00Z"));
    private final AtomicReference<double[]> load = new AtomicReference<>(new double[]{0.30, 0.50});
    private final AtomicInteger ids = new AtomicInteger();

    @Test
    void allFourDefaultAlertsFireOnceAndResolveOverARealWebhook() throws IOException, InterruptedException {
        try (var receiver = new dev.assistant.metrics.notify.LoopbackReceiverAccess()) {
            InMemoryMetrics memory = InMemoryMetrics.builder().ticker(ticker).wallClock(clock).build();
            PrometheusMeterRegistry prometheus = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
            RequestMetrics metrics = new RequestMetrics(MetricsListener.composite(memory,
                    MicrometerMetricsListener.bindTo(prometheus), new CallLogListener()), ticker);
            SystemMonitor monitor = new SystemMonitor(at -> {
                double[] l = load.get();
                return new SystemSample(at, l[0] / 2, l[0], 1 << 20, 1 << 30, 1 << 20, 0, 0, 1 << 28,
                        16L << 30, Math.round((16L << 30) * (1 - l[1])));
            }, clock);
            try (WebhookNotifier webhook = WebhookNotifier.builder(receiver.uri("/cgi-bin/webhook/send?key=k"))
                    .format(WebhookFormat.WECOM_MARKDOWN).build()) {
                AlertEngine engine = AlertEngine.builder().requestMetrics(memory::snapshot)
                        .systemMetrics(monitor::latest).notifier(new LoggingNotifier()).notifier(webhook)
                        .ticker(ticker).wallClock(clock).build();
                List<AlertEvent> events = new ArrayList<>();

                // Healthy minute: 30 fast calls, nothing fires.
                events.addAll(run(metrics, monitor, engine, 6, () -> healthyCalls(metrics, 5, 50)));
                assertThat(events).isEmpty();

                // Overload: CPU 92%, memory 95%, slow calls and a burst of 401/429/500 for six minutes.
                load.set(new double[]{0.92, 0.95});
                events.addAll(run(metrics, monitor, engine, 36, () -> {
                    healthyCalls(metrics, 5, 800);
                    failedCall(metrics, ErrorCode.UNAUTHENTICATED);
                    failedCall(metrics, ErrorCode.RATE_LIMITED);
                    failedCall(metrics, ErrorCode.INTERNAL);
                }));
                assertThat(events).filteredOn(e -> !e.repeat()).extracting(AlertEvent::rule).containsExactly(
                        "high_error_rate", "high_p99_latency", "high_cpu", "high_memory");
                assertThat(events).allMatch(AlertEvent::firing);

                // Recovery: everything back to normal for two minutes; each alert resolves once.
                load.set(new double[]{0.30, 0.50});
                List<AlertEvent> recovery = run(metrics, monitor, engine, 12, () -> healthyCalls(metrics, 5, 50));
                assertThat(recovery).extracting(AlertEvent::status).containsOnly(AlertEvent.Status.RESOLVED);
                assertThat(recovery).extracting(AlertEvent::rule).containsExactlyInAnyOrder(
                        "high_error_rate", "high_p99_latency", "high_cpu", "high_memory");
                events.addAll(recovery);

                // The webhook got exactly one WeCom message per event, in order.
                for (AlertEvent e : events) {
                    String body = receiver.next();
                    assertThat(body).startsWith("{\"msgtype\":\"markdown\"").contains(e.rule())
                            .contains(e.firing() ? "[FIRING]" : "[RESOLVED]");
                }
                assertThat(receiver.isEmpty()).isTrue();
            }
            assertThat(prometheus.scrape())
                    .containsPattern("assistant_requests_rejected_total\\{error_type=\"RATE_LIMITED\"[^}]*} 36");
            assertThat(memory.snapshot().total().started()).isEqualTo(6 * 5 + 36 * 8 + 12 * 5);
        }
    }

    /** {@code ticks} evaluation periods of 10 s, each with 10 s worth of {@code work} then one evaluation. */
    private List<AlertEvent> run(RequestMetrics metrics, SystemMonitor monitor, AlertEngine engine, int ticks,
                                 Runnable work) {
        List<AlertEvent> events = new ArrayList<>();
        for (int i = 0; i < ticks; i++) {
            long tickEnd = ticker.read() + Duration.ofSeconds(10).toNanos();
            work.run();                                      // calls run one after another within the tick
            ticker.advanceNanos(tickEnd - ticker.read());
            clock.advance(Duration.ofSeconds(10));
            monitor.sampleNow();
            events.addAll(engine.evaluate());
        }
        return events;
    }

    private void healthyCalls(RequestMetrics metrics, int n, long latencyMs) {
        for (int i = 0; i < n; i++) {
            healthyCall(metrics, latencyMs);
        }
    }

    private void healthyCall(RequestMetrics metrics, long latencyMs) {
        RequestTimer t = metrics.start(new RequestInfo("req-" + ids.incrementAndGet(), null, "tiny", Operation.CHAT));
        t.identified("key-1");
        t.enqueued(1);
        t.dequeued(0);
        ticker.advanceNanos(latencyMs * 100_000);           // a tenth of the latency to the first token
        t.firstToken();
        ticker.advanceNanos(latencyMs * 900_000);
        t.succeeded(20, 10);
    }

    private void failedCall(RequestMetrics metrics, ErrorCode code) {
        RequestTimer t = metrics.start(new RequestInfo("req-" + ids.incrementAndGet(), null, "tiny", Operation.CHAT));
        t.identified("key-2");
        t.failed(code, "scripted");
    }
}

package dev.assistant.cli;

import com.sun.net.httpserver.HttpServer;
import dev.assistant.metrics.config.AlertsConfig;
import dev.assistant.metrics.memory.InMemoryMetrics;
import dev.assistant.metrics.system.SystemSample;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.Test;

import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What {@code serve --alerts-config} runs: the engine evaluates on its own thread, a hot CPU reaches the WeCom
 * robot of the route with the key from the key provider, and the delivery is counted on the server's registry.
 */
class ServeAlertsTest {
    @Test
    void aHotCpuIsEvaluatedOnTheAlertThreadAndReachesTheConfiguredRobot() throws Exception {
        BlockingQueue<String> robot = new LinkedBlockingQueue<>();
        HttpServer http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        http.createContext("/", exchange -> {
            robot.add(exchange.getRequestURI().getRawQuery() + " "
                    + new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            byte[] ok = "{\"errcode\":0}".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, ok.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(ok);
            }
        });
        http.start();
        Map<String, String> variables = Map.of("ASSISTANT_KEY_TEST_SERVE_ROBOT", "serve-robot-key",
                "ASSISTANT_KEY_TEST_SERVE_ROBOT_ISSUED_AT", "2025-01-01T00:00:00Z");
        AlertsConfig config = AlertsConfig.parse("""
                {"keys": {"environment": "test"},
                 "rules": {"high_cpu": {"sustainFor": "PT0S"}, "high_memory": {"enabled": false},
                           "high_error_rate": {"channels": ["log"]}, "high_p99_latency": {"channels": ["log"]}},
                 "channels": {"wecom": {"type": "wecom", "url": "http://127.0.0.1:%d/send", "key": "serve-robot"},
                              "log": {"type": "log"}}}""".formatted(http.getAddress().getPort()), "test");
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        try (ServeAlerts alerts = ServeAlerts.start(config, InMemoryMetrics.create()::snapshot,
                at -> new SystemSample(at, 0.5, 0.95, 1, 2, 1, 0, 0, 1, 100, 50), registry, Duration.ofMillis(50),
                variables::get)) {
            String request = robot.poll(30, TimeUnit.SECONDS);
            assertThat(request).startsWith("key=serve-robot-key ").contains("[FIRING] high_cpu");
            // The robot has the request; the router counts it once the answer is back.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (alerts.router().stats().get("wecom").delivered() == 0 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertThat(alerts.router().stats().get("wecom").delivered()).isEqualTo(1);
            assertThat(registry.scrape())
                    .contains("assistant_alerts_deliveries_total{channel=\"wecom\",outcome=\"delivered\"} 1.0");
        } finally {
            http.stop(0);
        }
    }
}

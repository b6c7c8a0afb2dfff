package dev.assistant.core;

import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;
import dev.assistant.core.testing.SharedModels;
import dev.assistant.api.metrics.MetricsListener;
import dev.assistant.api.metrics.RequestInfo;
import dev.assistant.api.metrics.Ticker;
import dev.assistant.metrics.alert.AlertEngine;
import dev.assistant.metrics.alert.AlertEvent;
import dev.assistant.metrics.alert.Notifier;
import dev.assistant.metrics.memory.InMemoryMetrics;
import dev.assistant.metrics.memory.MetricsSnapshot;
import dev.assistant.metrics.system.SystemMonitor;
import dev.assistant.metrics.system.SystemSample;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Every Assistant call is measured, and the four default alerts fire and resolve from real calls. */
class AssistantMetricsTest {

    @Test
    void successesAndFailuresAreRecordedAndAThrowingListenerBreaksNothing() {
        InMemoryMetrics memory = InMemoryMetrics.builder().build();
        MetricsListener throwing = new MetricsListener() {
            @Override
            public void requestStarted(RequestInfo request) {
                throw new IllegalStateException("broken listener");
            }
        };
        try (Assistant assistant = Assistant.builder().modelPath(SharedModels.model("stories260K")).device("cpu")
                .metrics(MetricsListener.composite(throwing, memory)).build()) {
            Completion ok = assistant.generate(GenerateRequest.builder().prompt("Once").maxNewTokens(5).ignoreStops(true).build());
            assertThat(ok.outputIds()).hasSize(5);
            assertThatThrownBy(() -> assistant.generate(GenerateRequest.builder().inputIds(1, 100000).build()))
                    .isInstanceOf(AssistantException.class);
            var snapshot = memory.snapshot();
            var total = snapshot.total();
            assertThat(total.started()).isEqualTo(2);
            assertThat(total.succeeded()).isEqualTo(1);
            assertThat(total.failed()).isEqualTo(1);
            assertThat(total.completionTokens()).isEqualTo(5);
            assertThat(snapshot.toText()).contains("stories260K");
        }
    }

    @Test
    void theFourDefaultAlertsFireFromRealCallsAndResolve() throws Exception {
        AtomicLong windowNanos = new AtomicLong();
        Ticker windowTicker = windowNanos::get;
        AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2026-01-01T00:00:00Z"));
        InstantSource wall = now::get;
        AtomicReference<HoldingModel> held = new AtomicReference<>();
        AtomicReference<double[]> load = new AtomicReference<>(new double[]{0.30, 0.50}); // cpu, memory used
        InMemoryMetrics memory = InMemoryMetrics.builder().ticker(windowTicker).wallClock(wall).build();
        SystemMonitor monitor = new SystemMonitor(at -> {
            double[] l = load.get();
            return new SystemSample(at, l[0], l[0], 1 << 20, 1 << 30, 1 << 20, 0, 0, 1 << 28, 16L << 30,
                    Math.round((16L << 30) * (1 - l[1])));
        }, wall);
        List<AlertEvent> notified = new ArrayList<>();
        Notifier recording = event -> {
            synchronized (notified) {
                notified.add(event);
            }
        };
        AlertEngine alerts = AlertEngine.builder().requestMetrics(memory::snapshot).systemMetrics(monitor::latest)
                .notifier(recording).ticker(windowTicker).wallClock(wall).build();
        try (Assistant assistant = Assistant.builder().modelPath(SharedModels.model("stories260K")).device("cpu")
                .workers(8).metrics(memory).modelWrapper(m -> {
                    HoldingModel h = new HoldingModel(m);
                    held.set(h);
                    return h;
                }).build()) {
            // A healthy minute: quick successful calls, nothing fires.
            for (int i = 0; i < 20; i++) {
                assistant.generate(GenerateRequest.builder().prompt("Once").maxNewTokens(2).build());
            }
            assertThat(tick(windowNanos, now, monitor, alerts, 1)).isEmpty();

            // Trouble: the host is saturated, the engine is stuck (each call takes > 600 ms), and callers send
            // requests the assistant must refuse.
            load.set(new double[]{0.95, 0.96});
            held.get().hold();
            List<CompletableFuture<Completion>> slow = new ArrayList<>();
            for (int i = 0; i < 24; i++) {
                slow.add(assistant.generateAsync(GenerateRequest.builder().prompt("Once").maxNewTokens(20)
                        .ignoreStops(true).build()));
            }
            assertThat(held.get().awaitHeldStep()).isTrue();
            Thread.sleep(700); // every call started at least this long before it can end
            held.get().release();
            for (CompletableFuture<Completion> f : slow) {
                f.get(120, TimeUnit.SECONDS);
            }
            for (int i = 0; i < 6; i++) {
                assertThatThrownBy(() -> assistant.generate(GenerateRequest.builder().inputIds(1, 99999).build()))
                        .isInstanceOf(AssistantException.class);
            }
            List<AlertEvent> fired = tick(windowNanos, now, monitor, alerts, 1);
            assertThat(fired).extracting(AlertEvent::rule).containsExactlyInAnyOrder("high_error_rate", "high_p99_latency");
            fired = tick(windowNanos, now, monitor, alerts, 31); // CPU and memory stay high for over 5 minutes
            assertThat(fired).filteredOn(AlertEvent::firing).extracting(AlertEvent::rule)
                    .containsExactlyInAnyOrder("high_cpu", "high_memory");

            // Recovery: everything resolves once, and nothing fires again.
            load.set(new double[]{0.30, 0.50});
            for (int i = 0; i < 20; i++) {
                assistant.generate(GenerateRequest.builder().prompt("Once").maxNewTokens(2).build());
            }
            tick(windowNanos, now, monitor, alerts, 12);
            synchronized (notified) {
                assertThat(notified).filteredOn(e -> e.status() == AlertEvent.Status.RESOLVED).extracting(AlertEvent::rule)
                        .containsExactlyInAnyOrder("high_error_rate", "high_p99_latency", "high_cpu", "high_memory");
                assertThat(notified).filteredOn(e -> e.firing() && !e.repeat()).hasSize(4);
            }
        }
    }

    /** Advances the alert clocks by {@code ticks} x 10 s, sampling and evaluating after each; returns the events. */
    private static List<AlertEvent> tick(AtomicLong windowNanos, AtomicReference<Instant> now, SystemMonitor monitor,
                                         AlertEngine alerts, int ticks) {
        List<AlertEvent> events = new ArrayList<>();
        for (int i = 0; i < ticks; i++) {
            windowNanos.addAndGet(Duration.ofSeconds(10).toNanos());
            now.set(now.get().plusSeconds(10));
            monitor.sampleNow();
            events.addAll(alerts.evaluate());
        }
        return events;
    }
}

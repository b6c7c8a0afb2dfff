package dev.assistant.metrics.alert;

import dev.assistant.api.ErrorCode;
import dev.assistant.metrics.ManualClock;
import dev.assistant.metrics.ManualTicker;
import dev.assistant.api.metrics.Operation;
import dev.assistant.api.metrics.RequestInfo;
import dev.assistant.metrics.memory.InMemoryMetrics;
import dev.assistant.metrics.system.SystemSample;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Each default rule fires once, de-duplicates, repeats after the cool-down and resolves, under scripted time. */
class AlertEngineTest {
    private final ManualTicker ticker = new ManualTicker();
    private final ManualClock clock = new ManualClock(Instant.parse("2025-01-01T00:00:00Z"));
    private final AtomicReference<SystemSample> system = new AtomicReference<>(sample(0.10, 0.50));
    private final InMemoryMetrics metrics = InMemoryMetrics.builder().ticker(ticker).wallClock(clock)
            .window(Duration.ofMinutes(1), 6).build();
    private final RecordingNotifier notifier = new RecordingNotifier();
    private final AlertEngine engine = AlertEngine.builder().rules(AlertRules.defaults())
            .requestMetrics(metrics::snapshot).systemMetrics(system::get).notifier(notifier)
            .ticker(ticker).wallClock(clock).build();

    private SystemSample sample(double cpu, double memoryUsed) {
        return new SystemSample(clock.instant(), cpu / 2, cpu, 100, 1000, 10, 0, 0, 500,
                1_000_000, Math.round(1_000_000 * (1 - memoryUsed)));
    }

    /** Advances both clocks by {@code step} and evaluates. */
    private List<AlertEvent> step(Duration step) {
        ticker.advance(step);
        clock.advance(step);
        return engine.evaluate(ticker.read());
    }

    private void calls(int ok, long okLatencyMs, int failed, ErrorCode code) {
        RequestInfo info = new RequestInfo("r", "k", "tiny", Operation.CHAT);
        for (int i = 0; i < ok; i++) {
            metrics.requestStarted(info);
            metrics.requestSucceeded(info, okLatencyMs * 1_000_000, 5, 5, -1);
        }
        for (int i = 0; i < failed; i++) {
            metrics.requestStarted(info);
            metrics.requestFailed(info, 1_000_000, code, null);
        }
    }

    @Test
    void cpuFiresOnlyAfterFiveSustainedMinutesRepeatsAfterTheCooldownAndResolves() {
        system.set(sample(0.90, 0.5));
        assertThat(step(Duration.ofSeconds(10))).isEmpty();               // pending
        assertThat(engine.status().get(0).state()).isEqualTo(AlertState.PENDING);
        assertThat(step(Duration.ofMinutes(4))).isEmpty();                 // 4 min: still pending
        List<AlertEvent> fired = step(Duration.ofMinutes(1));              // 5 min sustained
        assertThat(fired).extracting(AlertEvent::headline)
                .containsExactly("[FIRING] high_cpu: system CPU load 90.0% > 85.0%");
        assertThat(fired.get(0).since()).isEqualTo(clock.instant());
        for (int i = 0; i < 29; i++) {                                     // de-duplicated for 29 minutes
            assertThat(step(Duration.ofMinutes(1))).isEmpty();
        }
        List<AlertEvent> repeat = step(Duration.ofMinutes(1));             // cool-down (30 min) elapsed
        assertThat(repeat).singleElement().satisfies(e -> {
            assertThat(e.repeat()).isTrue();
            assertThat(e.firing()).isTrue();
        });
        system.set(sample(0.40, 0.5));
        List<AlertEvent> resolved = step(Duration.ofSeconds(10));
        assertThat(resolved).extracting(AlertEvent::headline)
                .containsExactly("[RESOLVED] high_cpu: system CPU load 40.0% <= 85.0%");
        assertThat(step(Duration.ofMinutes(1))).isEmpty();
        assertThat(notifier.events).hasSize(3);
    }

    @Test
    void aCpuSpikeShorterThanTheSustainPeriodNeverNotifies() {
        system.set(sample(0.99, 0.5));
        step(Duration.ofSeconds(10));
        step(Duration.ofMinutes(4));
        system.set(sample(0.20, 0.5));
        step(Duration.ofSeconds(10));
        system.set(sample(0.99, 0.5));
        assertThat(step(Duration.ofMinutes(4))).isEmpty();  // the sustain clock restarted
        assertThat(notifier.events).isEmpty();
    }

    @Test
    void memoryAboveNinetyPercentForFiveMinutesFiresAndResolves() {
        system.set(sample(0.1, 0.95));
        step(Duration.ofSeconds(1));
        assertThat(step(Duration.ofMinutes(5))).extracting(AlertEvent::headline)
                .containsExactly("[FIRING] high_memory: system memory used 95.0% > 90.0%");
        assertThat(notifier.events.get(0).severity()).isEqualTo(Severity.CRITICAL);
        system.set(sample(0.1, 0.60));
        assertThat(step(Duration.ofSeconds(10))).extracting(AlertEvent::headline)
                .containsExactly("[RESOLVED] high_memory: system memory used 60.0% <= 90.0%");
    }

    @Test
    void errorRateFiresAboveFivePercentOnlyWithEnoughRequestsAndResolvesWhenTheWindowClears() {
        calls(10, 10, 9, ErrorCode.INTERNAL);        // 47% but only 19 calls: below the minimum of 20
        assertThat(step(Duration.ofSeconds(1))).isEmpty();
        calls(0, 0, 0, null);
        calls(81, 10, 0, null);                      // 100 calls, 9 failed: 9%
        assertThat(step(Duration.ofSeconds(1))).extracting(AlertEvent::headline)
                .containsExactly("[FIRING] high_error_rate: error rate of all models 9.0% > 5.0%");
        calls(10, 10, 0, null);
        assertThat(step(Duration.ofSeconds(10))).isEmpty();  // still above 5%: de-duplicated
        // The failures slide out of the one-minute window: the rate becomes unknown, then 0%.
        assertThat(step(Duration.ofMinutes(2))).extracting(AlertEvent::headline)
                .containsExactly("[RESOLVED] high_error_rate: error rate of all models unknown <= 5.0%");
    }

    @Test
    void cancelledCallsDoNotCountAsErrors() {
        calls(50, 10, 50, ErrorCode.CANCELLED);
        assertThat(step(Duration.ofSeconds(1))).isEmpty();
        assertThat(engine.status().get(2).lastValue()).isZero();
    }

    @Test
    void p99LatencyAboveFiveHundredMillisecondsFiresAndResolves() {
        calls(95, 100, 0, null);
        calls(5, 900, 0, null);                      // p99 = 900 ms (+ HdrHistogram's 1% bucket width)
        assertThat(step(Duration.ofSeconds(1))).singleElement().extracting(AlertEvent::headline).asString()
                .matches("\\[FIRING] high_p99_latency: p99 latency of all models 90\\d ms > 500 ms");
        step(Duration.ofMinutes(2));                 // window empties: unknown => resolved
        calls(100, 100, 0, null);
        assertThat(notifier.headlines()).hasSize(2).last()
                .isEqualTo("[RESOLVED] high_p99_latency: p99 latency of all models unknown <= 500 ms");
        assertThat(step(Duration.ofSeconds(1))).isEmpty();
        assertThat(engine.status().get(3).lastValue()).isBetween(99.0, 101.0);
    }

    @Test
    void unknownSystemValuesNeverFire() {
        system.set(SystemSample.unknown(clock.instant()));
        step(Duration.ofSeconds(1));
        assertThat(step(Duration.ofHours(1))).isEmpty();
        assertThat(engine.status()).allMatch(s -> s.state() == AlertState.OK);
    }

    @Test
    void aFailingNotifierOrSourceDoesNotStopTheOthers() {
        RecordingNotifier second = new RecordingNotifier();
        AlertEngine e = AlertEngine.builder()
                .rules(List.of(AlertRules.highCpu().withSustainFor(Duration.ZERO)))
                .systemMetrics(system::get)
                .requestMetrics(() -> {
                    throw new IllegalStateException("metrics down");
                })
                .notifier(event -> {
                    throw new IllegalStateException("smtp down");
                })
                .notifier(second).ticker(ticker).wallClock(clock).build();
        system.set(sample(0.95, 0.1));
        assertThat(e.evaluate(ticker.read())).hasSize(1);
        assertThat(second.events).hasSize(1);
    }

    @Test
    void configurationErrorsFailAtBuildTime() {
        assertThatThrownBy(() -> AlertEngine.builder().notifier(notifier).build())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("requestMetrics");
        assertThatThrownBy(() -> AlertEngine.builder().systemMetrics(system::get).build())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("notifier");
        assertThatThrownBy(() -> AlertEngine.builder().systemMetrics(system::get).notifier(notifier)
                .rules(List.of(AlertRules.highCpu(), AlertRules.highCpu())).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("duplicate");
        assertThatThrownBy(() -> AlertRule.builder("Bad Name", new Signal.SystemCpu()).above(1).build())
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> AlertRule.builder("x", new Signal.SystemCpu()).build())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("threshold");
        assertThatThrownBy(() -> AlertRules.highCpu().withCooldown(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void defaultsAreTheDeploymentGuidesThresholds() {
        List<AlertRule> d = AlertRules.defaults();
        assertThat(d).extracting(AlertRule::name)
                .containsExactly("high_cpu", "high_memory", "high_error_rate", "high_p99_latency");
        assertThat(d).extracting(AlertRule::threshold).containsExactly(0.85, 0.90, 0.05, 500.0);
        assertThat(d).extracting(AlertRule::sustainFor).containsExactly(Duration.ofMinutes(5),
                Duration.ofMinutes(5), Duration.ZERO, Duration.ZERO);
    }
}

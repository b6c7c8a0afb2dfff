package dev.assistant.metrics.memory;

import dev.assistant.api.ErrorCode;
import dev.assistant.metrics.ManualClock;
import dev.assistant.metrics.ManualTicker;
import dev.assistant.api.metrics.Operation;
import dev.assistant.api.metrics.RequestInfo;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Random;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class InMemoryMetricsTest {
    private final ManualTicker ticker = new ManualTicker();
    private final ManualClock clock = new ManualClock(Instant.parse("2025-01-01T00:00:00Z"));
    private final InMemoryMetrics metrics = InMemoryMetrics.builder().ticker(ticker).wallClock(clock)
            .window(Duration.ofSeconds(60), 6).build();
    private final RequestInfo a = new RequestInfo("r", "k", "model-a", Operation.CHAT);
    private final RequestInfo b = new RequestInfo("r", "k", "model-b", Operation.GENERATE);

    private void succeed(RequestInfo info, long latencyNanos) {
        metrics.requestStarted(info);
        metrics.requestSucceeded(info, latencyNanos, 10, 20, -1);
    }

    @Test
    void percentilesOfAUniformDistributionAreWithinOnePercent() {
        // 1..10000 ms, each once: the exact p-th percentile is p% of 10 s.
        for (int ms = 1; ms <= 10_000; ms++) {
            succeed(a, ms * 1_000_000L);
        }
        Distribution d = metrics.snapshot().model("model-a").orElseThrow().latency();
        assertThat(d.count()).isEqualTo(10_000);
        assertThat((double) d.p50()).isCloseTo(5_000e6, within(50e6));
        assertThat((double) d.p95()).isCloseTo(9_500e6, within(95e6));
        assertThat((double) d.p99()).isCloseTo(9_900e6, within(99e6));
        assertThat((double) d.p999()).isCloseTo(9_990e6, within(99.9e6));
        assertThat((double) d.max()).isCloseTo(10_000e6, within(100e6));
        assertThat(d.mean()).isCloseTo(5_000.5e6, within(50e6));
    }

    @Test
    void percentilesOfASeededExponentialDistributionMatchTheExactSortedValues() {
        Random random = new Random(42);
        long[] values = new long[50_000];
        for (int i = 0; i < values.length; i++) {
            // Mean 80 ms, long tail, like decode latencies.
            values[i] = (long) (-Math.log(1 - random.nextDouble()) * 80e6) + 1_000;
            succeed(a, values[i]);
        }
        Arrays.sort(values);
        Distribution d = metrics.snapshot().model("model-a").orElseThrow().latency();
        for (Distribution.Percentile p : Distribution.Percentile.values()) {
            double q = switch (p) {
                case P50 -> 0.50;
                case P95 -> 0.95;
                case P99 -> 0.99;
                case P999 -> 0.999;
            };
            long exact = values[(int) Math.ceil(q * values.length) - 1];
            assertThat((double) d.percentile(p)).as(p.label()).isCloseTo(exact, within(exact * 0.01));
        }
    }

    @Test
    void valuesLeaveTheWindowOnceItHasSlidPastThem() {
        succeed(a, 100_000_000L);           // slot 0
        ticker.advance(Duration.ofSeconds(30));
        succeed(a, 200_000_000L);           // slot 3
        assertThat(metrics.snapshot().total().latency().count()).isEqualTo(2);

        ticker.advance(Duration.ofSeconds(30)); // now slot 6: slot 0 has left the 6-slot window
        Distribution d = metrics.snapshot().total().latency();
        assertThat(d.count()).isEqualTo(1);
        assertThat((double) d.max()).isCloseTo(200e6, within(2e6));

        ticker.advance(Duration.ofMinutes(10));
        assertThat(metrics.snapshot().total().latency().isEmpty()).isTrue();
        // Cumulative counters are not windowed.
        assertThat(metrics.snapshot().total().succeeded()).isEqualTo(2);
    }

    @Test
    void keepsModelsAndOutcomesApartAndAggregatesThemInTotal() {
        succeed(a, 10_000_000L);
        succeed(b, 30_000_000L);
        metrics.requestStarted(a);
        metrics.requestFailed(a, 1_000_000L, ErrorCode.RATE_LIMITED, "bucket_empty");
        metrics.requestStarted(a);
        metrics.requestFailed(a, 2_000_000L, ErrorCode.UNAUTHENTICATED, null);
        metrics.requestStarted(b);
        metrics.requestFailed(b, 3_000_000L, ErrorCode.PERMISSION_DENIED, null);
        metrics.requestStarted(b);
        metrics.requestFailed(b, 900_000_000L, ErrorCode.TIMEOUT, null);
        metrics.requestStarted(b); // still running
        metrics.firstToken(a, 5_000_000L);
        metrics.queueWait(b, 7_000_000L);
        metrics.queueDepth(4);
        metrics.modelLoaded("model-a", 2_500_000_000L, 123_456_789L);

        MetricsSnapshot s = metrics.snapshot();
        ModelMetrics ma = s.model("model-a").orElseThrow();
        ModelMetrics mb = s.model("model-b").orElseThrow();
        assertThat(ma.rateLimited()).isEqualTo(1);
        assertThat(ma.authenticationFailures()).isEqualTo(1);
        assertThat(mb.policyFailures()).isEqualTo(1);
        assertThat(mb.inFlight()).isEqualTo(1);
        assertThat(ma.latencyByOutcome()).containsOnlyKeys("success", "RATE_LIMITED", "UNAUTHENTICATED");
        assertThat(mb.latencyByOutcome().get("TIMEOUT").count()).isEqualTo(1);
        assertThat(ma.ttft().count()).isEqualTo(1);
        assertThat(mb.queueWait().count()).isEqualTo(1);
        assertThat(ma.loadNanos()).isEqualTo(2_500_000_000L);
        assertThat(ma.weightBytes()).isEqualTo(123_456_789L);
        assertThat(ma.promptTokens()).isEqualTo(10);
        assertThat(ma.completionTokens()).isEqualTo(20);

        ModelMetrics total = s.total();
        assertThat(total.started()).isEqualTo(7);
        assertThat(total.succeeded()).isEqualTo(2);
        assertThat(total.failed()).isEqualTo(4);
        assertThat(total.inFlight()).isEqualTo(1);
        assertThat(total.latency().count()).isEqualTo(2);
        assertThat(total.windowRequests()).isEqualTo(6);
        assertThat(total.windowErrorRate(Set.of(ErrorCode.TIMEOUT))).isCloseTo(1 / 6.0, within(1e-9));
        assertThat(total.weightBytes()).isEqualTo(123_456_789L);
        assertThat(s.queueDepth()).isEqualTo(4);
        assertThat(s.takenAt()).isEqualTo(Instant.parse("2025-01-01T00:00:00Z"));
    }

    @Test
    void snapshotRendersAsTextAndJson() {
        succeed(a, 12_000_000L);
        metrics.requestStarted(a);
        metrics.requestFailed(a, 1_000_000L, ErrorCode.RATE_LIMITED, null);
        MetricsSnapshot s = metrics.snapshot();
        assertThat(s.toText())
                .contains("model model-a: started=2 succeeded=1 failed=1")
                .contains("rate_limited=1")
                .contains("failures: RATE_LIMITED(429)=1")
                .contains("latency: count=1 p50=12.")
                .contains("ttft: no data");
        assertThat(s.toJson())
                .startsWith("{\"takenAt\":\"2025-01-01T00:00:00Z\",\"windowNanos\":60000000000,\"queueDepth\":-1,")
                .contains("\"failures\":{\"RATE_LIMITED\":1}")
                .contains("\"models\":{\"model-a\":{\"model\":\"model-a\",\"started\":2,");
    }

    @Test
    void valuesBeyondTheTrackableRangeAreClampedNotThrown() {
        succeed(a, Long.MAX_VALUE);
        succeed(a, -5);
        Distribution d = metrics.snapshot().total().latency();
        assertThat(d.count()).isEqualTo(2);
        assertThat(d.max()).isGreaterThanOrEqualTo(Duration.ofHours(1).toNanos() - Duration.ofMinutes(1).toNanos());
        assertThat(d.min()).isZero();
    }

    @Test
    void builderOptionsAreValidatedAndSetOnce() {
        assertThatThrownBy(() -> InMemoryMetrics.builder().window(Duration.ZERO, 6))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> InMemoryMetrics.builder().window(Duration.ofSeconds(1), 1))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> InMemoryMetrics.builder().ticker(ticker).ticker(ticker))
                .isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> InMemoryMetrics.builder().significantDigits(4))
                .isInstanceOf(IllegalArgumentException.class);
    }
}

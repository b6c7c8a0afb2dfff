package dev.assistant.metrics.route;

import dev.assistant.metrics.ManualClock;
import dev.assistant.metrics.ManualTicker;
import dev.assistant.metrics.alert.AlertEngine;
import dev.assistant.metrics.alert.AlertEvent;
import dev.assistant.metrics.alert.AlertRule;
import dev.assistant.metrics.alert.AlertRules;
import dev.assistant.metrics.alert.Severity;
import dev.assistant.metrics.system.SystemSample;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AlertRouterTest {
    static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    static AlertEvent event(String rule, List<String> channels) {
        return new AlertEvent(rule, Severity.CRITICAL, AlertEvent.Status.FIRING, false, 0.93, 0.9,
                "system memory used", "93.0%", "90.0%", "Memory is high.", T0, T0, channels);
    }

    @Test
    void aFailingPrimaryFallsBackToTheNextChannelAndIsReported() {
        ScriptedChannel email = new ScriptedChannel("email").failNext("SMTP authentication failed");
        ScriptedChannel sms = new ScriptedChannel("sms");
        ScriptedChannel voice = new ScriptedChannel("voice");
        try (AlertRouter router = AlertRouter.builder().channel(email).channel(sms).channel(voice)
                .ticker(new ManualTicker()).build()) {
            DeliveryReport report = router.deliverNow(event("high_memory", List.of("email", "sms", "voice")));

            assertThat(report.deliveredBy()).contains("sms");
            assertThat(report.attempts()).containsExactly(
                    new DeliveryReport.Attempt("email", DeliveryReport.Outcome.FAILED, "SMTP authentication failed"),
                    new DeliveryReport.Attempt("sms", DeliveryReport.Outcome.DELIVERED, ""));
            assertThat(email.delivered).isEmpty();
            assertThat(sms.delivered).hasSize(1);
            assertThat(voice.attempts).isZero();
            assertThat(router.stats().get("email")).isEqualTo(new ChannelStats(0, 1, 0));
            assertThat(router.stats().get("sms")).isEqualTo(new ChannelStats(1, 0, 0));
            assertThat(router.undeliveredCount()).isZero();
        }
    }

    @Test
    void anEventNoChannelDeliversIsCountedAsUndelivered() {
        ScriptedChannel email = new ScriptedChannel("email").failNext("timed out");
        ScriptedChannel sms = new ScriptedChannel("sms").failNext("HTTP 503");
        try (AlertRouter router = AlertRouter.builder().channel(email).channel(sms).ticker(new ManualTicker())
                .build()) {
            DeliveryReport report = router.deliverNow(event("high_memory", List.of("email", "sms")));

            assertThat(report.delivered()).isFalse();
            assertThat(report.attempts()).extracting(DeliveryReport.Attempt::reason)
                    .containsExactly("timed out", "HTTP 503");
            assertThat(router.undeliveredCount()).isEqualTo(1);
        }
    }

    @Test
    void aStormIsRateLimitedPerChannelAndTheLimitRefillsWithTheClock() {
        ManualTicker ticker = new ManualTicker();
        ScriptedChannel voice = new ScriptedChannel("voice");
        ScriptedChannel sms = new ScriptedChannel("sms");
        try (AlertRouter router = AlertRouter.builder().channel(voice).channel(sms).ticker(ticker)
                .rateLimit("voice", new RateLimit(2, Duration.ofMinutes(10)))
                .rateLimit(new RateLimit(3, Duration.ofMinutes(10))).build()) {
            List<DeliveryReport> reports = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                reports.add(router.deliverNow(event("rule" + i, List.of("voice", "sms"))));
            }
            // Two calls, then the next three fall back to SMS, then SMS is exhausted too.
            assertThat(reports).extracting(r -> r.deliveredBy().orElse("-"))
                    .containsExactly("voice", "voice", "sms", "sms", "sms", "-");
            assertThat(reports.get(2).attempts().get(0)).isEqualTo(new DeliveryReport.Attempt("voice",
                    DeliveryReport.Outcome.RATE_LIMITED, "rate limit exhausted"));
            assertThat(router.stats().get("voice")).isEqualTo(new ChannelStats(2, 0, 4));
            assertThat(router.stats().get("sms")).isEqualTo(new ChannelStats(3, 0, 1));
            assertThat(router.undeliveredCount()).isEqualTo(1);

            ticker.advance(Duration.ofMinutes(4)); // 0.8 of a call refilled: still limited
            assertThat(router.deliverNow(event("later", List.of("voice"))).delivered()).isFalse();
            ticker.advance(Duration.ofMinutes(1)); // one whole call refilled
            assertThat(router.deliverNow(event("later", List.of("voice"))).deliveredBy()).contains("voice");
        }
    }

    @Test
    void rulesWithoutChannelsTakeTheDefaultRoute() {
        ScriptedChannel log = new ScriptedChannel("log");
        try (AlertRouter router = AlertRouter.builder().channel(log).defaultRoute(List.of("log"))
                .ticker(new ManualTicker()).build()) {
            assertThat(router.deliverNow(event("custom", List.of())).deliveredBy()).contains("log");
        }
    }

    @Test
    void routesToMissingChannelsAreRejectedUpFront() {
        try (AlertRouter router = AlertRouter.builder().channel(new ScriptedChannel("email")).build()) {
            assertThatThrownBy(() -> router.checkRoutes(AlertRules.defaults()))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("rule high_cpu routes to channel 'wecom'");
        }
        assertThatThrownBy(() -> AlertRouter.builder().channel(new ScriptedChannel("a"))
                .channel(new ScriptedChannel("a"))).hasMessageContaining("already added");
        assertThatThrownBy(() -> AlertRouter.builder().channel(new ScriptedChannel("a"))
                .defaultRoute(List.of("b")).build()).hasMessageContaining("'b'");
    }

    @Test
    void sendQueuesAndDropsWhatExceedsTheQueue() {
        List<Runnable> queued = new ArrayList<>();
        ScriptedChannel sms = new ScriptedChannel("sms");
        try (AlertRouter router = AlertRouter.builder().channel(sms).executor(queued::add).queueCapacity(2)
                .ticker(new ManualTicker()).build()) {
            for (int i = 0; i < 3; i++) {
                router.send(event("r" + i, List.of("sms")));
            }
            assertThat(router.pendingCount()).isEqualTo(2);
            assertThat(router.droppedCount()).isEqualTo(1);
            assertThat(sms.attempts).isZero(); // send() itself never delivers
            queued.forEach(Runnable::run);
            assertThat(sms.delivered).extracting(AlertEvent::rule).containsExactly("r0", "r1");
            assertThat(router.pendingCount()).isZero();
        }
    }

    @Test
    void theEngineRoutesEachDefaultRuleToItsOwnChannelAndDeduplicatesRepeats() {
        ManualTicker ticker = new ManualTicker();
        ManualClock clock = new ManualClock(T0);
        ScriptedChannel wecom = new ScriptedChannel("wecom");
        ScriptedChannel email = new ScriptedChannel("email");
        ScriptedChannel sms = new ScriptedChannel("sms");
        ScriptedChannel voice = new ScriptedChannel("voice");
        AtomicReference<SystemSample> sample = new AtomicReference<>(sample(0.95, 0.95));
        try (AlertRouter router = AlertRouter.builder().channel(wecom).channel(email).channel(sms).channel(voice)
                .ticker(ticker).executor(Runnable::run).build()) {
            List<AlertRule> rules = AlertRules.defaults();
            router.checkRoutes(rules);
            AlertEngine engine = AlertEngine.builder().rules(rules).systemMetrics(sample::get).notifier(router)
                    .ticker(ticker).wallClock(clock).build();
            engine.evaluate();
            ticker.advance(Duration.ofMinutes(5));
            engine.evaluate(); // CPU and memory held 5 minutes: fire
            ticker.advance(Duration.ofMinutes(1));
            engine.evaluate(); // still firing, inside the cool-down: nothing new

            assertThat(wecom.delivered).extracting(AlertEvent::rule).containsExactly("high_cpu");
            assertThat(email.delivered).extracting(AlertEvent::rule).containsExactly("high_memory");
            assertThat(sms.delivered).isEmpty();
            assertThat(voice.delivered).isEmpty();

            sample.set(sample(0.1, 0.1));
            engine.evaluate();
            assertThat(wecom.delivered).extracting(AlertEvent::status)
                    .containsExactly(AlertEvent.Status.FIRING, AlertEvent.Status.RESOLVED);
        }
    }

    private static SystemSample sample(double cpu, double memory) {
        long total = 1000;
        return new SystemSample(T0, cpu, cpu, 10, 100, 1, 0, 0, 1, total, Math.round(total * (1 - memory)));
    }
}

package dev.assistant.metrics.notify;

import dev.assistant.metrics.alert.AlertEvent;
import dev.assistant.metrics.alert.Severity;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.function.LongSupplier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class WebhookNotifierTest {
    static final AlertEvent FIRING = new AlertEvent("high_cpu", Severity.WARNING, AlertEvent.Status.FIRING, false,
            0.912, 0.85, "system CPU load", "91.2%", "85.0%", "CPU \"hot\".", Instant.parse("2025-01-01T00:05:00Z"),
            Instant.parse("2025-01-01T00:05:00Z"), java.util.List.of());
    static final AlertEvent RESOLVED = new AlertEvent("high_cpu", Severity.WARNING, AlertEvent.Status.RESOLVED, false,
            0.4, 0.85, "system CPU load", "40.0%", "85.0%", "CPU \"hot\".", Instant.parse("2025-01-01T00:05:00Z"),
            Instant.parse("2025-01-01T00:20:00Z"), java.util.List.of());

    private final LoopbackReceiver receiver;
    private WebhookNotifier notifier;

    WebhookNotifierTest() throws Exception {
        receiver = new LoopbackReceiver();
    }

    @AfterEach
    void close() {
        if (notifier != null) {
            notifier.close();
        }
        receiver.close();
    }

    private static void awaitValue(LongSupplier value, long expected) {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (value.getAsLong() != expected && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        assertThat(value.getAsLong()).isEqualTo(expected);
    }

    @Test
    void postsTheExactGenericJsonBody() throws Exception {
        notifier = WebhookNotifier.builder(receiver.uri("/hooks/alerts")).build();
        notifier.send(FIRING);
        LoopbackReceiver.Received r = receiver.next();
        assertThat(r.method()).isEqualTo("POST");
        assertThat(r.path()).isEqualTo("/hooks/alerts");
        assertThat(r.contentType()).isEqualTo("application/json; charset=utf-8");
        assertThat(r.body()).isEqualTo("{\"rule\":\"high_cpu\",\"status\":\"FIRING\",\"repeat\":false,"
                + "\"severity\":\"WARNING\",\"signal\":\"system CPU load\",\"value\":0.912,\"threshold\":0.85,"
                + "\"valueText\":\"91.2%\",\"thresholdText\":\"85.0%\",\"summary\":\"CPU \\\"hot\\\".\","
                + "\"since\":\"2025-01-01T00:05:00Z\",\"at\":\"2025-01-01T00:05:00Z\"}");
        awaitValue(notifier::deliveredCount, 1);
    }

    @Test
    void postsTheExactWeComMarkdownBodiesForFiringAndResolved() throws Exception {
        notifier = WebhookNotifier.builder(receiver.uri("/cgi-bin/webhook/send?key=SECRET-ROBOT-KEY"))
                .format(WebhookFormat.WECOM_MARKDOWN).build();
        notifier.send(FIRING);
        LoopbackReceiver.Received firing = receiver.next();
        assertThat(firing.query()).isEqualTo("key=SECRET-ROBOT-KEY");
        assertThat(firing.body()).isEqualTo("{\"msgtype\":\"markdown\",\"markdown\":{\"content\":"
                + "\"**[FIRING] high_cpu** (WARNING)\\n"
                + "> system CPU load: <font color=\\\"warning\\\">91.2%</font> (threshold 85.0%)\\n"
                + "> since: 2025-01-01T00:05:00Z\\n"
                + "> at: 2025-01-01T00:05:00Z\\n"
                + "CPU \\\"hot\\\".\"}}");
        notifier.send(RESOLVED);
        assertThat(receiver.next().body()).startsWith("{\"msgtype\":\"markdown\",\"markdown\":{\"content\":"
                + "\"**[RESOLVED] high_cpu** (WARNING)\\n"
                + "> system CPU load: <font color=\\\"info\\\">40.0%</font> (threshold 85.0%)\\n");
        awaitValue(notifier::deliveredCount, 2);
        assertThat(notifier.toString()).doesNotContain("SECRET");
    }

    @Test
    void retriesServerErrorsAndWeComBusyWithBackoffThenDelivers() throws Exception {
        receiver.answer(new LoopbackReceiver.Answer(503, "busy"),
                new LoopbackReceiver.Answer(200, "{\"errcode\":45009,\"errmsg\":\"api freq out of limit\"}"));
        notifier = WebhookNotifier.builder(receiver.uri("/send")).format(WebhookFormat.WECOM_MARKDOWN)
                .maxAttempts(3).backoff(Duration.ofMillis(5), Duration.ofMillis(20)).build();
        notifier.send(FIRING);
        String first = receiver.next().body();
        assertThat(receiver.next().body()).isEqualTo(first);
        assertThat(receiver.next().body()).isEqualTo(first);
        awaitValue(notifier::deliveredCount, 1);
        assertThat(notifier.failedCount()).isZero();
    }

    @Test
    void aRejectedEventIsNotRetriedAndExhaustedRetriesAreCounted() throws Exception {
        receiver.answer(new LoopbackReceiver.Answer(400, "bad"),
                new LoopbackReceiver.Answer(500, "x"), new LoopbackReceiver.Answer(500, "x"));
        notifier = WebhookNotifier.builder(receiver.uri("/send")).maxAttempts(2)
                .backoff(Duration.ofMillis(1), Duration.ofMillis(1)).build();
        notifier.send(FIRING);
        receiver.next();
        awaitValue(notifier::failedCount, 1);
        notifier.send(FIRING);
        receiver.next();
        receiver.next();
        awaitValue(notifier::failedCount, 2);
        assertThat(receiver.received).isEmpty();
        assertThat(notifier.deliveredCount()).isZero();
    }

    @Test
    void sendReturnsWhileTheReceiverIsStillHoldingTheRequest() throws Exception {
        receiver.hold();
        notifier = WebhookNotifier.builder(receiver.uri("/send")).requestTimeout(Duration.ofSeconds(30)).build();
        notifier.send(FIRING);
        // Had send() waited for delivery it would still be blocked here: the receiver has not answered.
        assertThat(notifier.pendingCount()).isEqualTo(1);
        receiver.next();
        assertThat(notifier.deliveredCount()).isZero();
        receiver.open();
        awaitValue(notifier::deliveredCount, 1);
    }

    @Test
    void aReceiverThatDoesNotAnswerTimesOutAndIsCountedAsFailed() throws Exception {
        receiver.hold();
        notifier = WebhookNotifier.builder(receiver.uri("/send")).requestTimeout(Duration.ofMillis(200))
                .maxAttempts(1).build();
        notifier.send(FIRING);
        receiver.next();
        awaitValue(notifier::failedCount, 1);
        assertThat(notifier.pendingCount()).isZero();
    }

    @Test
    void dropsEventsBeyondTheQueueCapacityInsteadOfBlocking() throws Exception {
        receiver.hold();
        notifier = WebhookNotifier.builder(receiver.uri("/send")).queueCapacity(2).build();
        notifier.send(FIRING);
        notifier.send(FIRING);
        notifier.send(FIRING);
        assertThat(notifier.droppedCount()).isEqualTo(1);
        assertThat(notifier.pendingCount()).isEqualTo(2);
        receiver.open();
        awaitValue(notifier::deliveredCount, 2);
        assertThat(notifier.pendingCount()).isZero();
    }

    @Test
    void rejectsNonHttpUris() {
        assertThatThrownBy(() -> WebhookNotifier.builder(java.net.URI.create("ftp://example.org/x")))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> WebhookNotifier.builder(receiver.uri("/")).maxAttempts(0))
                .isInstanceOf(IllegalArgumentException.class);
    }
}

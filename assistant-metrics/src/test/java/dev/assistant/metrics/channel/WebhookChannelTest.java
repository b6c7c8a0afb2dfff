package dev.assistant.metrics.channel;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.assistant.metrics.alert.AlertEvent;
import dev.assistant.metrics.alert.Severity;
import dev.assistant.metrics.notify.WebhookFormat;
import dev.assistant.metrics.route.ChannelException;
import dev.assistant.metrics.route.EnvCredentials;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class WebhookChannelTest {
    static final String ROBOT_KEY = "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa";
    static final Instant AT = Instant.parse("2026-01-01T00:05:00Z");
    static final AlertEvent EVENT = new AlertEvent("high_cpu", Severity.WARNING, AlertEvent.Status.FIRING, false,
            0.912, 0.85, "system CPU load", "91.2%", "85.0%", "CPU is hot.", AT, AT, List.of("wecom"));

    @Test
    void weComRobotGetsMarkdownWithItsKeyFromTheKeyProvider() throws Exception {
        try (RecordingHttpServer robot = new RecordingHttpServer("{\"errcode\":0,\"errmsg\":\"ok\"}")) {
            WebhookChannel channel = WebhookChannel.builder("wecom", robot.uri("/cgi-bin/webhook/send"))
                    .format(WebhookFormat.WECOM_MARKDOWN)
                    .keyParameter("key", "wecom-robot", new EnvCredentials().put("wecom-robot", ROBOT_KEY))
                    .timeouts(Duration.ofSeconds(2), Duration.ofSeconds(5)).build();

            channel.deliver(EVENT);

            RecordingHttpServer.Request r = robot.requests.poll(5, TimeUnit.SECONDS);
            assertThat(r.method()).isEqualTo("POST");
            assertThat(r.path()).isEqualTo("/cgi-bin/webhook/send");
            assertThat(r.rawQuery()).isEqualTo("key=" + ROBOT_KEY);
            JsonNode body = new ObjectMapper().readTree(r.body());
            assertThat(body.path("msgtype").asText()).isEqualTo("markdown");
            assertThat(body.path("markdown").path("content").asText()).startsWith("**[FIRING] high_cpu** (WARNING)")
                    .contains("91.2%");
            assertThat(channel.toString()).doesNotContain(ROBOT_KEY);
        }
    }

    @Test
    void aWeComErrorCodeIsAFailureThatDoesNotShowTheKey() throws Exception {
        try (RecordingHttpServer robot = new RecordingHttpServer("{\"errcode\":93000,\"errmsg\":\"invalid key\"}")) {
            WebhookChannel channel = WebhookChannel.builder("wecom", robot.uri("/cgi-bin/webhook/send"))
                    .format(WebhookFormat.WECOM_MARKDOWN)
                    .keyParameter("key", "wecom-robot", new EnvCredentials().put("wecom-robot", ROBOT_KEY)).build();

            assertThatThrownBy(() -> channel.deliver(EVENT)).isInstanceOf(ChannelException.class)
                    .hasMessage("webhook " + robot.uri("/cgi-bin/webhook/send") + " answered HTTP 200 (rejected)")
                    .hasMessageNotContaining(ROBOT_KEY);
        }
    }

    @Test
    void anUnreachableWebhookIsATransientFailure() throws Exception {
        RecordingHttpServer gone = new RecordingHttpServer("{}");
        var uri = gone.uri("/hook");
        gone.close();
        WebhookChannel channel = WebhookChannel.builder("hook", uri).timeouts(Duration.ofSeconds(2),
                Duration.ofSeconds(2)).build();
        assertThatThrownBy(() -> channel.deliver(EVENT)).isInstanceOf(ChannelException.class)
                .hasMessageStartingWith("I/O error")
                .satisfies(e -> assertThat(((ChannelException) e).transientFailure()).isTrue());
    }
}

package dev.assistant.metrics.config;

import dev.assistant.api.ErrorCode;
import dev.assistant.metrics.alert.AlertRule;
import dev.assistant.metrics.alert.AlertRules;
import dev.assistant.metrics.alert.Severity;
import dev.assistant.metrics.channel.mail.MailSecurity;
import dev.assistant.metrics.route.RateLimit;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AlertsConfigTest {
    static final String GUIDE_CHANNELS = """
            "wecom": {"type": "wecom", "key": "wecom-robot"},
            "email": {"type": "email", "host": "smtp.example.com", "username": "alerts", "password": "smtp-password",
                      "from": "alerts@example.com", "to": ["oncall@example.com"], "html": true},
            "sms": {"type": "aliyun-sms", "accessKeyId": "LTAI-id", "accessKeySecret": "aliyun-secret",
                    "signName": "Assistant", "templateCode": "SMS_1", "phoneNumbers": ["13800000001"]},
            "voice": {"type": "aliyun-voice", "accessKeyId": "LTAI-id", "accessKeySecret": "aliyun-secret",
                      "calledShowNumber": "4001112222", "ttsCode": "TTS_1", "phoneNumbers": ["13700000000"],
                      "rateLimit": {"capacity": 2, "period": "PT30M"}},
            "log": {"type": "log", "rateLimit": {"capacity": 100, "period": "PT1M"}}
            """;

    @Test
    void withOnlyChannelsTheRulesAndRoutesAreTheGuideDefaults() {
        AlertsConfig config = AlertsConfig.parse("{\"channels\": {" + GUIDE_CHANNELS + "}}", "test");

        assertThat(config.alertRules()).isEqualTo(AlertRules.defaults());
        assertThat(config.alertRules()).extracting(AlertRule::name, AlertRule::channels).containsExactly(
                org.assertj.core.groups.Tuple.tuple("high_cpu", List.of("wecom")),
                org.assertj.core.groups.Tuple.tuple("high_memory", List.of("email")),
                org.assertj.core.groups.Tuple.tuple("high_error_rate", List.of("sms")),
                org.assertj.core.groups.Tuple.tuple("high_p99_latency", List.of("voice")));
        assertThat(config.rateLimit()).isEqualTo(RateLimit.DEFAULT);
        assertThat(config.keys().environment()).isEqualTo("prod");
        assertThat(config.keys().settings()).containsEntry("provider", "env");
        ChannelSettings.Email email = (ChannelSettings.Email) config.channels().get("email");
        assertThat(email.security()).isEqualTo(MailSecurity.STARTTLS);
        assertThat(email.port()).isEqualTo(587);
        assertThat(((ChannelSettings.Wecom) config.channels().get("wecom")).url())
                .isEqualTo(ChannelSettings.Wecom.DEFAULT_URL);
        assertThat(config.channels().get("voice").rateLimit()).isEqualTo(new RateLimit(2, Duration.ofMinutes(30)));
        assertThat(config.channels().get("log").rateLimit()).isEqualTo(new RateLimit(100, Duration.ofMinutes(1)));
        assertThat(config.channels().get("sms").rateLimit()).isNull();
    }

    @Test
    void ruleOverridesChangeThresholdsHoldsSeverityAndRoutes() {
        AlertsConfig config = AlertsConfig.parse("""
                {"keys": {"environment": "test"},
                 "rateLimit": {"capacity": 3, "period": "PT1H"},
                 "rules": {
                   "high_cpu": {"threshold": 0.9, "sustainFor": "PT10M", "channels": ["wecom", "email", "log"]},
                   "high_p99_latency": {"threshold": 800, "severity": "CRITICAL", "cooldown": "PT1H"},
                   "high_memory": {"enabled": false}
                 },
                 "channels": {""" + GUIDE_CHANNELS + "}}", "test");

        List<AlertRule> rules = config.alertRules();
        assertThat(rules).extracting(AlertRule::name).containsExactly("high_cpu", "high_error_rate",
                "high_p99_latency");
        assertThat(rules.get(0).threshold()).isEqualTo(0.9);
        assertThat(rules.get(0).sustainFor()).isEqualTo(Duration.ofMinutes(10));
        assertThat(rules.get(0).channels()).containsExactly("wecom", "email", "log");
        assertThat(rules.get(2).threshold()).isEqualTo(800);
        assertThat(rules.get(2).severity()).isEqualTo(Severity.CRITICAL);
        assertThat(rules.get(2).cooldown()).isEqualTo(Duration.ofHours(1));
        assertThat(rules.get(2).channels()).containsExactly("voice");
        assertThat(config.rateLimit()).isEqualTo(new RateLimit(3, Duration.ofHours(1)));
        assertThatThrownBy(() -> config.channels().put("x", new ChannelSettings.Log(null)))
                .isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void mistakesAreTypedErrorsNamingThePathAndTheRule() {
        assertProblem("{\"channels\": {\"log\": {\"type\": \"log\"}}}", "$",
                "rule high_cpu routes to channel 'wecom', which is not configured; configured: [log]");
        assertProblem("{\"rules\": {\"high_disk\": {}}, \"channels\": {" + GUIDE_CHANNELS + "}}", "$",
                "unknown rule 'high_disk'");
        assertProblem("{\"channels\": {" + GUIDE_CHANNELS + ", \"pager\": {\"type\": \"pagerduty\"}}}",
                "$.channels.pager", "unknown or missing channel type");
        assertProblem("{\"channels\": {\"email\": {\"type\": \"email\", \"host\": \"h\", \"from\": \"a@b.c\"}}}",
                "$.channels.email", "'to' must list at least one non-blank entry");
        assertProblem("{\"rateLimit\": {\"capacity\": 3, \"period\": \"five minutes\"}}", "$.rateLimit.period",
                "wrong type or value");
        assertProblem("{\"channels\": {" + GUIDE_CHANNELS + "}, \"channel\": {}}", "$.channel",
                "unknown field 'channel'");
        assertProblem("{\"channels\": {\"log\": {\"type\": \"log\", \"url\": \"http://x\"}}}", "$.channels.log.url",
                "unknown field 'url'");
        assertProblem("{\"rules\": {\"high_cpu\": {\"channels\": [\"wecom\", \"wecom\"]}}, \"channels\": {"
                + GUIDE_CHANNELS + "}}", "$", "channel wecom is listed twice");
        assertProblem("{\"channels\": {" + GUIDE_CHANNELS + "}", "$", "malformed JSON");
        assertProblem("{\"channels\": {\"email\": {\"type\": \"email\", \"host\": \"h\", \"from\": \"a@b.c\", "
                + "\"to\": [\"x@y.z\"], \"username\": \"u\"}}}", "$.channels.email", "username and password");
    }

    private static void assertProblem(String json, String path, String problem) {
        assertThatThrownBy(() -> AlertsConfig.parse(json, "alerts.json"))
                .isInstanceOfSatisfying(AlertsConfigException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.INVALID_REQUEST);
                    assertThat(e.path()).isEqualTo(path);
                    assertThat(e.getMessage()).startsWith("alerts config alerts.json: " + path + ": ")
                            .contains(problem);
                });
    }
}

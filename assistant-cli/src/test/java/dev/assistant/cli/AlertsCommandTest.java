package dev.assistant.cli;

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.GreenMailUtil;
import com.icegreen.greenmail.util.ServerSetup;
import com.sun.net.httpserver.HttpServer;
import dev.assistant.metrics.prometheus.PrometheusRules;
import jakarta.mail.internet.MimeMessage;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.Yaml;

import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code assistant alerts export} parsed back as YAML, and {@code assistant alerts test} through the real command
 * against a real SMTP server (GreenMail) and loopback HTTP receivers, with credentials from the {@code env} key
 * provider (variables set for the test JVM in the module's POM).
 */
class AlertsCommandTest {
    static final String SMTP_PASSWORD = "cli-smtp-password-not-real";
    static final String ALIYUN_SECRET = "cli-aliyun-secret-not-real";
    static final String ROBOT_KEY = "cli-wecom-robot-key-not-real";

    @TempDir
    static Path dir;
    static GreenMail smtp;
    static HttpServer http;
    static final List<String> received = Collections.synchronizedList(new ArrayList<>());
    static volatile int smsStatus = 200;

    @BeforeAll
    static void start() throws Exception {
        ServerSetup setup = new ServerSetup(0, "127.0.0.1", ServerSetup.PROTOCOL_SMTP).dynamicPort();
        setup.setServerStartupTimeout(60_000); // GreenMail's default 2 s is short on a busy machine
        smtp = new GreenMail(setup);
        smtp.setUser("alerts@example.com", "alerts", SMTP_PASSWORD);
        smtp.start();
        http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        http.createContext("/", exchange -> {
            String path = exchange.getRequestURI().getPath();
            String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            received.add(path + "?" + exchange.getRequestURI().getRawQuery() + " " + body);
            int status = path.equals("/sms") ? smsStatus : 200;
            String answer = path.equals("/wecom") ? "{\"errcode\":0,\"errmsg\":\"ok\"}"
                    : status == 200 ? "{\"Code\":\"OK\"}" : "{\"Code\":\"ServiceUnavailable\"}";
            byte[] bytes = answer.getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(status, bytes.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        });
        http.start();
    }

    @AfterAll
    static void stop() {
        if (smtp != null) {
            smtp.stop();
        }
        if (http != null) {
            http.stop(0);
        }
    }

    @BeforeEach
    void reset() throws Exception {
        smtp.purgeEmailFromAllMailboxes();
        received.clear();
        smsStatus = 200;
    }

    static Path config() throws Exception {
        String base = "http://127.0.0.1:" + http.getAddress().getPort();
        Path file = dir.resolve("alerts.json");
        Files.writeString(file, """
                {
                  "keys": {"environment": "test", "settings": {"provider": "env"}},
                  "rules": {"high_error_rate": {"channels": ["sms", "voice"]}},
                  "channels": {
                    "wecom": {"type": "wecom", "url": "%1$s/wecom", "key": "cli-wecom-robot"},
                    "email": {"type": "email", "host": "127.0.0.1", "port": %2$d, "security": "NONE",
                              "username": "alerts", "password": "cli-smtp-password",
                              "from": "alerts@example.com", "to": ["oncall@example.com"]},
                    "sms": {"type": "aliyun-sms", "endpoint": "%1$s/sms", "accessKeyId": "LTAI-cli",
                            "accessKeySecret": "cli-aliyun-secret", "signName": "Assistant",
                            "templateCode": "SMS_1", "phoneNumbers": ["13800000001"]},
                    "voice": {"type": "aliyun-voice", "endpoint": "%1$s/voice", "accessKeyId": "LTAI-cli",
                              "accessKeySecret": "cli-aliyun-secret", "calledShowNumber": "4001112222",
                              "ttsCode": "TTS_1", "phoneNumbers": ["13700000000"]}
                  }
                }
                """.formatted(base, smtp.getSmtp().getPort()));
        return file;
    }

    @Test
    @SuppressWarnings("unchecked")
    void exportPrintsPrometheusRulesWithTheSdkThresholdsHoldsAndRoutes() {
        AssistantCliTest.Result r = AssistantCliTest.run("alerts", "export", "--format", "prometheus");
        assertThat(r.exit()).as(r.err()).isZero();

        Map<String, Object> doc = new Yaml().load(r.out());
        List<Map<String, Object>> groups = (List<Map<String, Object>>) doc.get("groups");
        assertThat(groups).hasSize(1);
        assertThat(groups.get(0).get("name")).isEqualTo("assistant-alerts");
        List<Map<String, Object>> rules = (List<Map<String, Object>>) groups.get(0).get("rules");
        assertThat(rules).extracting(m -> m.get("alert")).containsExactly("high_cpu", "high_memory",
                "high_error_rate", "high_p99_latency");
        assertThat(rules).extracting(m -> m.get("for")).containsExactly("5m", "5m", null, null);
        assertThat(rules).extracting(m -> ((Map<String, String>) m.get("labels")).get("channel"))
                .containsExactly("wecom", "email", "sms", "voice");
        assertThat(rules).extracting(m -> ((Map<String, String>) m.get("labels")).get("severity"))
                .containsExactly("warning", "critical", "critical", "warning");
        assertThat(rules.get(0).get("expr")).isEqualTo("assistant_system_cpu_load > 0.85");
        assertThat(rules.get(1).get("expr")).isEqualTo("assistant_system_memory_used_ratio > 0.9");
        assertThat(rules.get(2).get("expr")).isEqualTo("(sum(rate(gen_ai_client_operation_duration_seconds_count"
                + "{error_type!=\"\",error_type!=\"CANCELLED\"}[1m])) / sum(rate("
                + "gen_ai_client_operation_duration_seconds_count[1m]))) > 0.05 and sum(increase("
                + "gen_ai_client_operation_duration_seconds_count[1m])) >= 20");
        assertThat(rules.get(3).get("expr")).isEqualTo("histogram_quantile(0.99, sum by (le) (rate("
                + "gen_ai_client_operation_duration_seconds_bucket{error_type=\"\"}[1m]))) > 0.5 and sum(increase("
                + "gen_ai_client_operation_duration_seconds_count{error_type=\"\"}[1m])) >= 20");
        // Every series an expression reads is one the server binds (PrometheusAlertRulesTest scrapes a real one).
        Set<String> exposed = Set.of(PrometheusRules.CPU, PrometheusRules.MEMORY,
                PrometheusRules.DURATION + "_count", PrometheusRules.DURATION + "_bucket");
        Pattern series = Pattern.compile("\\b(assistant_[a-z_]+|gen_ai_[a-z_]+)");
        for (Map<String, Object> rule : rules) {
            Matcher m = series.matcher((String) rule.get("expr"));
            while (m.find()) {
                assertThat(exposed).contains(m.group(1));
            }
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void exportAppliesTheConfigurationsOverrides() throws Exception {
        Path file = dir.resolve("override.json");
        Files.writeString(file, Files.readString(config()).replace("\"rules\": {",
                "\"rules\": {\"high_cpu\": {\"threshold\": 0.9, \"sustainFor\": \"PT10M\", \"channels\": [\"wecom\", "
                        + "\"email\"]},"));
        AssistantCliTest.Result r = AssistantCliTest.run("alerts", "export", "--format", "prometheus", "--config",
                file.toString(), "--window", "PT5M");
        assertThat(r.exit()).as(r.err()).isZero();
        Map<String, Object> doc = new Yaml().load(r.out());
        Map<String, Object> cpu = ((List<Map<String, Object>>) ((List<Map<String, Object>>) doc.get("groups"))
                .get(0).get("rules")).get(0);
        assertThat(cpu.get("expr")).isEqualTo("assistant_system_cpu_load > 0.9");
        assertThat(cpu.get("for")).isEqualTo("10m");
        assertThat(((Map<String, String>) cpu.get("labels")).get("route")).isEqualTo("wecom,email");
        assertThat(r.out()).contains("[5m]");
    }

    @Test
    void testSendsAMailThroughTheMemoryRoute() throws Exception {
        AssistantCliTest.Result r = AssistantCliTest.run("alerts", "test", "--rule", "high_memory", "--config",
                config().toString());

        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("test alert high_memory (FIRING) via [email]").contains("delivered by email");
        assertThat(smtp.waitForIncomingEmail(5000, 1)).isTrue();
        MimeMessage mail = smtp.getReceivedMessages()[0];
        assertThat(mail.getAllRecipients()).extracting(Object::toString).containsExactly("oncall@example.com");
        assertThat(mail.getSubject()).isEqualTo("[FIRING] high_memory (CRITICAL): system memory used (test)");
        assertThat(GreenMailUtil.getBody(mail)).contains("TEST NOTIFICATION");
        assertThat(r.out() + r.err()).doesNotContain(SMTP_PASSWORD);
    }

    @Test
    void testFallsBackFromAFailingSmsGatewayToTheVoiceCall() throws Exception {
        smsStatus = 503;
        AssistantCliTest.Result r = AssistantCliTest.run("alerts", "test", "--rule", "high_error_rate", "--config",
                config().toString());

        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("via [sms, voice]")
                .containsPattern("sms +FAILED +aliyun-sms: 1 of 1 recipient\\(s\\) not reached, first: aliyun-sms "
                        + "answered HTTP 503 code ServiceUnavailable")
                .containsPattern("voice +DELIVERED")
                .contains("delivered by voice");
        assertThat(received).hasSize(2);
        assertThat(received.get(0)).startsWith("/sms?null ").contains("Action=SendSms");
        String call = URLDecoder.decode(received.get(1), StandardCharsets.UTF_8);
        assertThat(call).startsWith("/voice?null ").contains("Action=SingleCallByTts").contains("CalledNumber=13700000000")
                .contains("\"rule\":\"high_error_rate\"").contains("AccessKeyId=LTAI-cli");
        assertThat(String.join("\n", received) + r.out() + r.err()).doesNotContain(ALIYUN_SECRET);
    }

    @Test
    void testReachesTheWeComRobotWithTheKeyFromTheKeyProvider() throws Exception {
        AssistantCliTest.Result r = AssistantCliTest.run("alerts", "test", "--rule", "high_cpu", "--resolved",
                "--config", config().toString());

        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(received).singleElement().satisfies(s -> assertThat(s)
                .startsWith("/wecom?key=" + ROBOT_KEY + " ").contains("[RESOLVED] high_cpu"));
        assertThat(r.out()).doesNotContain(ROBOT_KEY);
    }

    @Test
    void testReportsAnUndeliveredAlertAndUnknownRules() throws Exception {
        smsStatus = 500;
        Path file = dir.resolve("sms-only.json");
        Files.writeString(file, Files.readString(config()).replace("[\"sms\", \"voice\"]", "[\"sms\"]"));
        AssistantCliTest.Result failed = AssistantCliTest.run("alerts", "test", "--rule", "high_error_rate",
                "--config", file.toString());
        assertThat(failed.exit()).isEqualTo(1);
        assertThat(failed.out()).contains("NOT delivered on any channel");

        AssistantCliTest.Result unknown = AssistantCliTest.run("alerts", "test", "--rule", "high_disk", "--config",
                config().toString());
        assertThat(unknown.exit()).isEqualTo(2);
        assertThat(unknown.err()).contains("no enabled rule 'high_disk'");

        Path broken = dir.resolve("broken.json");
        Files.writeString(broken, "{\"channels\": {\"log\": {\"type\": \"log\"}}}");
        AssistantCliTest.Result invalid = AssistantCliTest.run("alerts", "test", "--rule", "high_cpu", "--config",
                broken.toString());
        assertThat(invalid.exit()).isEqualTo(1);
        assertThat(invalid.err()).contains("error INVALID_REQUEST (400): alerts config " + broken + ": $: rule "
                + "high_cpu routes to channel 'wecom', which is not configured");
    }
}

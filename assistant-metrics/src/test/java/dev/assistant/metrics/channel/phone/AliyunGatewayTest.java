package dev.assistant.metrics.channel.phone;

import dev.assistant.metrics.ManualTicker;
import dev.assistant.metrics.alert.AlertEvent;
import dev.assistant.metrics.alert.Severity;
import dev.assistant.metrics.channel.CapturedLogs;
import dev.assistant.metrics.channel.RecordingHttpServer;
import dev.assistant.metrics.route.AlertRouter;
import dev.assistant.metrics.route.ChannelException;
import dev.assistant.metrics.route.DeliveryReport;
import dev.assistant.metrics.route.EnvCredentials;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Alibaba Cloud SMS and Voice requests against loopback servers that check the exact form and verify the
 * HMAC-SHA1 signature with an independent implementation of the documented algorithm.
 */
class AliyunGatewayTest {
    static final String SECRET = "aliyun-AccessKeySecret-3x4mpl3+/=";
    static final Instant NOW = Instant.parse("2026-01-01T00:05:00Z");
    static final AlertEvent EVENT = new AlertEvent("high_error_rate", Severity.CRITICAL, AlertEvent.Status.FIRING,
            false, 0.083, 0.05, "error rate of all models", "8.3%", "5.0%", "More than 5% of calls fail.", NOW, NOW,
            List.of("sms", "voice"));

    final EnvCredentials credentials = new EnvCredentials().put("aliyun-secret", SECRET);
    final List<RecordingHttpServer> servers = new ArrayList<>();

    @AfterEach
    void stop() {
        servers.forEach(RecordingHttpServer::close);
    }

    RecordingHttpServer server(String body) throws Exception {
        RecordingHttpServer s = new RecordingHttpServer(body);
        servers.add(s);
        return s;
    }

    static Supplier<String> nonces() {
        AtomicInteger n = new AtomicInteger();
        return () -> "nonce-" + n.incrementAndGet();
    }

    AliyunGateway.Account account(RecordingHttpServer s) {
        return new AliyunGateway.Account(s.uri("/"), "LTAI-test-id", "aliyun-secret", "cn-hangzhou");
    }

    @Test
    void smsSendsOneSignedSendSmsFormPerNumber() throws Exception {
        RecordingHttpServer sms = server("{\"Code\":\"OK\",\"Message\":\"OK\",\"BizId\":\"9006197469364984^0\","
                + "\"RequestId\":\"F655A8D5-B967-440B-8683-DAD6FF8DE990\"}");
        PhoneChannel channel = new PhoneChannel("sms", AliyunGateway.sms(account(sms), "Assistant", "SMS_0001",
                credentials, InstantSource.fixed(NOW), nonces(), Duration.ofSeconds(5)),
                List.of("13800000001", "+8613800000002"), Duration.ofSeconds(2));

        channel.deliver(EVENT);

        RecordingHttpServer.Request first = sms.requests.poll(5, TimeUnit.SECONDS);
        RecordingHttpServer.Request second = sms.requests.poll(5, TimeUnit.SECONDS);
        assertThat(first.method()).isEqualTo("POST");
        assertThat(first.path()).isEqualTo("/");
        assertThat(first.rawQuery()).isNull();
        assertThat(first.header("Content-Type")).isEqualTo("application/x-www-form-urlencoded; charset=utf-8");
        Map<String, String> form = form(first.body());
        Map<String, String> expected = new TreeMap<>();
        expected.put("AccessKeyId", "LTAI-test-id");
        expected.put("Action", "SendSms");
        expected.put("Format", "JSON");
        expected.put("PhoneNumbers", "13800000001");
        expected.put("RegionId", "cn-hangzhou");
        expected.put("SignName", "Assistant");
        expected.put("SignatureMethod", "HMAC-SHA1");
        expected.put("SignatureNonce", "nonce-1");
        expected.put("SignatureVersion", "1.0");
        expected.put("TemplateCode", "SMS_0001");
        expected.put("TemplateParam",
                "{\"rule\":\"high_error_rate\",\"status\":\"FIRING\",\"value\":\"8.3%\",\"threshold\":\"5.0%\"}");
        expected.put("Timestamp", "2026-01-01T00:05:00Z");
        expected.put("Version", "2017-05-25");
        assertThat(withoutSignature(form)).isEqualTo(expected);
        assertThat(form.get("Signature")).isEqualTo(independentSignature("POST", withoutSignature(form), SECRET));
        assertThat(form(second.body())).containsEntry("PhoneNumbers", "+8613800000002")
                .containsEntry("SignatureNonce", "nonce-2");
        assertThat(form(second.body()).get("Signature"))
                .isEqualTo(independentSignature("POST", withoutSignature(form(second.body())), SECRET));
        assertThat(first.body()).doesNotContain(SECRET);
    }

    @Test
    void voiceCallsEachNumberWithASignedSingleCallByTts() throws Exception {
        RecordingHttpServer voice = server("{\"Code\":\"OK\",\"CallId\":\"116012354148^10281378****\","
                + "\"RequestId\":\"D9CB3933-9FE3-4870-BA8E-2BEE91B69D23\"}");
        PhoneChannel channel = new PhoneChannel("voice", AliyunGateway.voice(account(voice), "4001112222",
                "TTS_0001", credentials, InstantSource.fixed(NOW), nonces(), Duration.ofSeconds(5)),
                List.of("13700000000"), Duration.ofSeconds(2));

        channel.deliver(EVENT);

        Map<String, String> form = form(voice.requests.poll(5, TimeUnit.SECONDS).body());
        assertThat(withoutSignature(form)).containsOnlyKeys("AccessKeyId", "Action", "CalledNumber",
                        "CalledShowNumber", "Format", "RegionId", "SignatureMethod", "SignatureNonce",
                        "SignatureVersion", "Timestamp", "TtsCode", "TtsParam", "Version")
                .containsEntry("Action", "SingleCallByTts").containsEntry("Version", "2017-05-25")
                .containsEntry("CalledNumber", "13700000000").containsEntry("CalledShowNumber", "4001112222")
                .containsEntry("TtsCode", "TTS_0001")
                .containsEntry("TtsParam",
                        "{\"rule\":\"high_error_rate\",\"status\":\"FIRING\",\"value\":\"8.3%\",\"threshold\":\"5.0%\"}");
        assertThat(form.get("Signature")).isEqualTo(independentSignature("POST", withoutSignature(form), SECRET));
    }

    @Test
    void aRefusedSmsFallsBackToVoiceAndNoSecretReachesLogsMessagesOrToString() throws Exception {
        RecordingHttpServer sms = server("{}").answerNext(404,
                "{\"Code\":\"InvalidAccessKeyId.NotFound\",\"Message\":\"Specified access key is not found.\"}");
        RecordingHttpServer voice = server("{\"Code\":\"OK\",\"CallId\":\"1\"}");
        PhoneChannel smsChannel = new PhoneChannel("sms", AliyunGateway.sms(account(sms), "Assistant", "SMS_0001",
                credentials, InstantSource.fixed(NOW), nonces(), Duration.ofSeconds(5)), List.of("13800000001"),
                Duration.ofSeconds(2));
        PhoneChannel voiceChannel = new PhoneChannel("voice", AliyunGateway.voice(account(voice), "4001112222",
                "TTS_0001", credentials, InstantSource.fixed(NOW), nonces(), Duration.ofSeconds(5)),
                List.of("13700000000"), Duration.ofSeconds(2));

        DeliveryReport report;
        List<String> logs;
        try (CapturedLogs captured = new CapturedLogs();
             AlertRouter router = AlertRouter.builder().channel(smsChannel).channel(voiceChannel)
                     .ticker(new ManualTicker()).build()) {
            report = router.deliverNow(EVENT);
            logs = captured.lines();
            assertThat(router.toString()).doesNotContain(SECRET);
        }

        assertThat(report.deliveredBy()).contains("voice");
        assertThat(report.attempts().get(0).reason()).isEqualTo("aliyun-sms: 1 of 1 recipient(s) not reached, "
                + "first: aliyun-sms answered HTTP 404 code InvalidAccessKeyId.NotFound");
        assertThat(voice.requests).hasSize(1);
        assertThat(logs).anySatisfy(l -> assertThat(l).contains("high_error_rate").contains("sms")
                .contains("InvalidAccessKeyId.NotFound").contains("falling back to voice"));
        assertThat(String.join("\n", logs)).doesNotContain(SECRET).doesNotContain("13800000001");
        assertThat(smsChannel + " " + voiceChannel + " " + smsChannel.toString())
                .doesNotContain(SECRET).doesNotContain("13800000001");
    }

    @Test
    void throttlingIsTransientAndAnUnknownKeyIdFailsNamingOnlyTheKeyId() throws Exception {
        RecordingHttpServer sms = server("{}").answerNext(200,
                "{\"Code\":\"isv.BUSINESS_LIMIT_CONTROL\",\"Message\":\"limit\"}");
        PhoneChannel channel = new PhoneChannel("sms", AliyunGateway.sms(account(sms), "Assistant", "SMS_0001",
                credentials, InstantSource.fixed(NOW), nonces(), Duration.ofSeconds(5)), List.of("13800000001"),
                Duration.ofSeconds(2));
        assertThatThrownBy(() -> channel.deliver(EVENT)).isInstanceOf(ChannelException.class)
                .hasMessageEndingWith("code isv.BUSINESS_LIMIT_CONTROL")
                .satisfies(e -> assertThat(((ChannelException) e).transientFailure()).isTrue());

        AliyunGateway missing = AliyunGateway.sms(new AliyunGateway.Account(sms.uri("/"), "LTAI-test-id",
                        "not-configured", "cn-hangzhou"), "Assistant", "SMS_0001", credentials,
                InstantSource.fixed(NOW), nonces(), Duration.ofSeconds(5));
        assertThatThrownBy(() -> missing.request("13800000001", EVENT)).hasMessageContaining("not-configured")
                .hasMessageNotContaining(SECRET);
    }

    /** The documented algorithm, written independently of the production signer. */
    static String independentSignature(String method, Map<String, String> parameters, String secret)
            throws Exception {
        StringBuilder canonical = new StringBuilder();
        for (Map.Entry<String, String> e : new TreeMap<>(parameters).entrySet()) {
            if (canonical.length() > 0) {
                canonical.append('&');
            }
            canonical.append(rfc3986(e.getKey())).append('=').append(rfc3986(e.getValue()));
        }
        String stringToSign = method + "&" + rfc3986("/") + "&" + rfc3986(canonical.toString());
        Mac mac = Mac.getInstance("HmacSHA1");
        mac.init(new SecretKeySpec((secret + "&").getBytes(StandardCharsets.UTF_8), "HmacSHA1"));
        return Base64.getEncoder().encodeToString(mac.doFinal(stringToSign.getBytes(StandardCharsets.UTF_8)));
    }

    /** RFC 3986: unreserved characters kept, every other UTF-8 byte as %XY (upper-case hex). */
    static String rfc3986(String s) {
        StringBuilder out = new StringBuilder();
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            char c = (char) (b & 0xff);
            if (c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || "-_.~".indexOf(c) >= 0) {
                out.append(c);
            } else {
                out.append('%').append(String.format("%02X", b & 0xff));
            }
        }
        return out.toString();
    }

    static Map<String, String> form(String body) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String pair : body.split("&")) {
            int eq = pair.indexOf('=');
            out.put(URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
                    URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
        }
        return out;
    }

    static Map<String, String> withoutSignature(Map<String, String> form) {
        Map<String, String> out = new TreeMap<>(form);
        out.remove("Signature");
        return out;
    }
}

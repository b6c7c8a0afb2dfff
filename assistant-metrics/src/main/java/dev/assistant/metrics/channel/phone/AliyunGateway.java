package dev.assistant.metrics.channel.phone;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.assistant.api.Secret;
import dev.assistant.metrics.alert.AlertEvent;
import dev.assistant.metrics.route.ChannelException;
import dev.assistant.metrics.route.CredentialSource;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.InstantSource;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.UUID;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * Alibaba Cloud SMS ({@code SendSms} on {@code dysmsapi}, version 2017-05-25) and Voice ({@code SingleCallByTts} on
 * {@code dyvmsapi}, version 2017-05-25) as {@link PhoneGateway}s: one signed RPC call per number, POSTed as a form,
 * accepted when the JSON answer's {@code Code} is {@code OK}.
 *
 * <p>Both products only send pre-approved templates; this gateway fills the template's variables with
 * {@code {"rule":..., "status":..., "value":..., "threshold":...}} (SMS {@code TemplateParam}, voice
 * {@code TtsParam}), so the template must use {@code ${rule}}, {@code ${status}}, {@code ${value}} and
 * {@code ${threshold}}. The AccessKey secret comes from the {@link CredentialSource} per request.
 */
public final class AliyunGateway implements PhoneGateway {
    /** The public SMS endpoint. */
    public static final URI SMS_ENDPOINT = URI.create("https://dysmsapi.aliyuncs.com/");
    /** The public Voice endpoint. */
    public static final URI VOICE_ENDPOINT = URI.create("https://dyvmsapi.aliyuncs.com/");
    private static final String VERSION = "2017-05-25";
    private static final Pattern SAFE_CODE = Pattern.compile("[A-Za-z0-9._-]{1,80}");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String provider;
    private final Account account;
    private final String action;
    private final String numberParameter;
    private final String variablesParameter;
    private final Map<String, String> fixed;
    private final CredentialSource credentials;
    private final InstantSource clock;
    private final Supplier<String> nonces;
    private final Duration requestTimeout;

    private AliyunGateway(String provider, Account account, String action, String numberParameter,
                          String variablesParameter, Map<String, String> fixed, CredentialSource credentials,
                          InstantSource clock, Supplier<String> nonces, Duration requestTimeout) {
        this.provider = provider;
        this.account = Objects.requireNonNull(account, "account");
        this.action = action;
        this.numberParameter = numberParameter;
        this.variablesParameter = variablesParameter;
        this.fixed = Map.copyOf(fixed);
        this.credentials = Objects.requireNonNull(credentials, "credentials");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.nonces = Objects.requireNonNull(nonces, "nonces");
        this.requestTimeout = Objects.requireNonNull(requestTimeout, "requestTimeout");
    }

    /** {@code SendSms} with sign name {@code signName} and template {@code templateCode}. */
    public static AliyunGateway sms(Account account, String signName, String templateCode,
                                    CredentialSource credentials, InstantSource clock, Supplier<String> nonces,
                                    Duration requestTimeout) {
        return new AliyunGateway("aliyun-sms", account, "SendSms", "PhoneNumbers", "TemplateParam",
                Map.of("SignName", required(signName, "signName"), "TemplateCode", required(templateCode,
                        "templateCode")), credentials, clock, nonces, requestTimeout);
    }

    /** {@code SingleCallByTts} from {@code calledShowNumber} reading TTS template {@code ttsCode}. */
    public static AliyunGateway voice(Account account, String calledShowNumber, String ttsCode,
                                      CredentialSource credentials, InstantSource clock, Supplier<String> nonces,
                                      Duration requestTimeout) {
        return new AliyunGateway("aliyun-voice", account, "SingleCallByTts", "CalledNumber", "TtsParam",
                Map.of("CalledShowNumber", required(calledShowNumber, "calledShowNumber"), "TtsCode",
                        required(ttsCode, "ttsCode")), credentials, clock, nonces, requestTimeout);
    }

    /** Random UUIDs, the nonces Alibaba Cloud recommends. */
    public static Supplier<String> randomNonces() {
        return () -> UUID.randomUUID().toString();
    }

    @Override
    public String provider() {
        return provider;
    }

    @Override
    public HttpRequest request(String phoneNumber, AlertEvent event) throws ChannelException {
        SortedMap<String, String> parameters = AliyunRpcSigner.commonParameters(action, VERSION,
                account.accessKeyId(), account.regionId(), clock.instant(), nonces.get());
        parameters.putAll(fixed);
        parameters.put(numberParameter, phoneNumber);
        parameters.put(variablesParameter, variables(event));
        String body;
        try (Secret secret = credentials.secret(account.accessKeySecretKey())) {
            body = AliyunRpcSigner.signedForm("POST", parameters, secret);
        }
        return HttpRequest.newBuilder(account.endpoint())
                .timeout(requestTimeout)
                .header("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
                .header("Accept", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8))
                .build();
    }

    /** The template variables, in a fixed order. */
    static String variables(AlertEvent event) {
        Map<String, String> v = new LinkedHashMap<>();
        v.put("rule", event.rule());
        v.put("status", event.status().name());
        v.put("value", event.valueText());
        v.put("threshold", event.thresholdText());
        try {
            return JSON.writeValueAsString(v);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot render template variables", e);
        }
    }

    @Override
    public void check(HttpResponse<String> response) throws ChannelException {
        String code = null;
        try {
            JsonNode node = JSON.readTree(response.body() == null ? "" : response.body());
            code = node == null ? null : node.path("Code").asText(null);
        } catch (JsonProcessingException e) {
            // Not JSON (a proxy's error page): judged by the status alone below.
        }
        if (response.statusCode() / 100 == 2 && "OK".equals(code)) {
            return;
        }
        String safeCode = code != null && SAFE_CODE.matcher(code).matches() ? code : "none";
        boolean transientFailure = response.statusCode() >= 500 || response.statusCode() == 429
                || safeCode.startsWith("Throttling") || safeCode.contains("LIMIT_CONTROL")
                || safeCode.equals("ServiceUnavailable");
        throw new ChannelException(provider + " answered HTTP " + response.statusCode() + " code " + safeCode,
                transientFailure);
    }

    @Override
    public String toString() {
        return "AliyunGateway[" + provider + ", " + account.endpoint().getHost() + "]";
    }

    private static String required(String value, String name) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(name + " is required");
        }
        return value;
    }

    /**
     * Where and as whom to call.
     *
     * @param endpoint           the product's endpoint ({@link #SMS_ENDPOINT} or {@link #VOICE_ENDPOINT})
     * @param accessKeyId        the AccessKey ID (an identifier, not secret)
     * @param accessKeySecretKey the key id under which the key provider holds the AccessKey secret
     * @param regionId           the region, {@code cn-hangzhou} for the public endpoints
     */
    public record Account(URI endpoint, String accessKeyId, String accessKeySecretKey, String regionId) {
        public Account {
            Objects.requireNonNull(endpoint, "endpoint");
            if (!"https".equals(endpoint.getScheme()) && !"http".equals(endpoint.getScheme())) {
                throw new IllegalArgumentException("endpoint must be http(s)");
            }
            required(accessKeyId, "accessKeyId");
            required(accessKeySecretKey, "accessKeySecret (a key id)");
            required(regionId, "regionId");
        }
    }
}

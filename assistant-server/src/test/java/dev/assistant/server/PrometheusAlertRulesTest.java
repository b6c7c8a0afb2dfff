package dev.assistant.server;

import dev.assistant.metrics.alert.AlertRules;
import dev.assistant.metrics.prometheus.PrometheusRules;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Prometheus alerting rules the CLI exports read series that a real server's {@code /metrics} exposes: after
 * one successful and one denied call, every metric name in every expression, with the label matchers it uses, is in
 * the scrape.
 */
class PrometheusAlertRulesTest {
    private static final Pattern SERIES = Pattern.compile("([a-z_:][a-z0-9_:]*)(\\{[^}]*})?\\[?");
    private static final Set<String> FUNCTIONS = Set.of("sum", "rate", "increase", "histogram_quantile", "by",
            "le", "and");
    private static SecuredServer fixture;
    private static HttpClient http;

    @BeforeAll
    static void start() {
        fixture = new SecuredServer();
        http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    }

    @AfterAll
    static void stop() {
        if (fixture != null) {
            fixture.close();
        }
    }

    @Test
    void everyExportedExpressionReadsSeriesTheServerExposes() throws Exception {
        assertThat(chat(SecuredServer.ALICE_KEY, SecuredServer.MODEL).statusCode()).isEqualTo(200);
        // A failure the assistant records (the policy denies this model): a series with error_type.
        assertThat(chat(SecuredServer.ALICE_KEY, SecuredServer.FORBIDDEN_MODEL).statusCode()).isEqualTo(403);
        String scrape = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + fixture.server.port() + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();

        Set<String> names = new LinkedHashSet<>();
        for (PrometheusRules.Rule rule : PrometheusRules.export(AlertRules.defaults(), Duration.ofMinutes(1))
                .groups().get(0).rules()) {
            Matcher m = SERIES.matcher(rule.expr().replaceAll("\"[^\"]*\"", "\"\"").replaceAll("\\[[^]]*]", ""));
            while (m.find()) {
                if (!FUNCTIONS.contains(m.group(1))) {
                    names.add(m.group(1));
                }
            }
        }
        assertThat(names).containsExactlyInAnyOrder(PrometheusRules.CPU, PrometheusRules.MEMORY,
                PrometheusRules.DURATION + "_count", PrometheusRules.DURATION + "_bucket");
        for (String name : names) {
            assertThat(scrape).as("scrape has samples of %s", name).containsPattern("(?m)^" + name + "[{ ]");
        }
        // The label matchers: failures carry error_type, successes do not, buckets have le.
        assertThat(scrape).containsPattern("(?m)^" + PrometheusRules.DURATION
                + "_count\\{[^}]*error_type=\"PERMISSION_DENIED\"");
        assertThat(scrape).containsPattern("(?m)^" + PrometheusRules.DURATION
                + "_bucket\\{(?![^}]*error_type)[^}]*le=\"0\\.64\"");
        // The CPU load may be unknown (NaN) on the probe's first reading; memory is read from /proc/meminfo.
        assertThat(scrape).containsPattern("(?m)^" + PrometheusRules.CPU + " ([0-9.]+(E-?[0-9]+)?|NaN)$");
        assertThat(scrape).containsPattern("(?m)^" + PrometheusRules.MEMORY + " 0\\.[0-9]+");
    }

    private static HttpResponse<String> chat(String key, String model) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(fixture.baseUrl() + "/chat/completions"))
                .header("Authorization", "Bearer " + key).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"" + model + "\",\"messages\":[{\"role\":"
                        + "\"user\",\"content\":\"Once\"}],\"max_tokens\":2,\"temperature\":0}")).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}

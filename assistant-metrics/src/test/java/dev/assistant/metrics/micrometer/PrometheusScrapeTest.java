package dev.assistant.metrics.micrometer;

import dev.assistant.api.ErrorCode;
import dev.assistant.metrics.ManualTicker;
import dev.assistant.api.metrics.Operation;
import dev.assistant.api.metrics.RequestInfo;
import dev.assistant.api.metrics.RequestMetrics;
import dev.assistant.api.metrics.RequestTimer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

class PrometheusScrapeTest {
    @Test
    void scrapeContainsTheGenAiSeriesAndTheAssistantSeries() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        ManualTicker ticker = new ManualTicker();
        RequestMetrics metrics = new RequestMetrics(MicrometerMetricsListener.bindTo(registry), ticker);
        RequestInfo chat = new RequestInfo("r1", "k1", "tiny-llama", Operation.CHAT);

        metrics.modelLoaded("tiny-llama", 1_500_000_000L, 64L << 20);
        RequestTimer ok = metrics.start(chat);
        ok.enqueued(1);
        ticker.advance(Duration.ofMillis(3));
        ok.dequeued(0);
        ticker.advance(Duration.ofMillis(17));
        ok.firstToken();
        ticker.advance(Duration.ofMillis(80));
        ok.succeeded(30, 9);
        metrics.start(chat).failed(ErrorCode.RATE_LIMITED, "bucket_empty");
        metrics.start(chat).failed(ErrorCode.UNAUTHENTICATED, "unknown_key");
        RequestTimer running = metrics.start(new RequestInfo("r2", null, "tiny-llama", Operation.GENERATE));

        String scrape = registry.scrape();

        assertThat(scrape)
                .contains("# TYPE gen_ai_client_operation_duration_seconds histogram")
                .containsPattern("gen_ai_client_operation_duration_seconds_bucket\\{[^}]*gen_ai_operation_name=\"chat\""
                        + "[^}]*gen_ai_request_model=\"tiny-llama\"[^}]*le=\"0.16\"[^}]*} 1")
                .containsPattern("gen_ai_client_operation_duration_seconds_count\\{[^}]*error_type=\"RATE_LIMITED\""
                        + "[^}]*} 1")
                .containsPattern("gen_ai_client_token_usage_bucket\\{[^}]*gen_ai_token_type=\"input\"[^}]*le=\"64.0\""
                        + "[^}]*} 1")
                .containsPattern("gen_ai_client_token_usage_sum\\{[^}]*gen_ai_token_type=\"output\"[^}]*} 9")
                .containsPattern("gen_ai_server_time_to_first_token_seconds_bucket\\{[^}]*le=\"0.02\"[^}]*} 1")
                .containsPattern("gen_ai_server_time_per_output_token_seconds_bucket\\{[^}]*le=\"0.01\"[^}]*} 1")
                .containsPattern("assistant_queue_wait_seconds_count\\{[^}]*} 1")
                .containsPattern("assistant_queue_depth(_total)? 0")
                .containsPattern("assistant_requests_rejected_total\\{[^}]*error_type=\"UNAUTHENTICATED\"[^}]*} 1")
                .containsPattern("assistant_requests_active\\{[^}]*gen_ai_request_model=\"tiny-llama\"[^}]*} 1")
                .containsPattern("assistant_model_load_duration_seconds\\{[^}]*} 1.5")
                .containsPattern("assistant_model_weight_memory_bytes\\{[^}]*} 6.7108864E7")
                .doesNotContain("k1"); // key ids are never labels
        running.succeeded(1, 1);
    }
}

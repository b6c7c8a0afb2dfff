package dev.assistant.metrics.calllog;

import dev.assistant.api.ErrorCode;
import dev.assistant.metrics.ManualTicker;
import dev.assistant.api.metrics.Operation;
import dev.assistant.api.metrics.RequestInfo;
import dev.assistant.api.metrics.RequestMetrics;
import dev.assistant.api.metrics.RequestTimer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.slf4j.MDC;
import org.slf4j.event.Level;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

class CallLogListenerTest {
    private final CapturingLogger logger = new CapturingLogger();
    private final ManualTicker ticker = new ManualTicker();
    private final RequestMetrics metrics = new RequestMetrics(new CallLogListener(logger), ticker);

    @Test
    void aSuccessfulCallIsOneInfoLineWithTheSameFieldsInTheMdc() {
        RequestTimer timer = metrics.start(new RequestInfo("req-1", null, "tiny", Operation.CHAT));
        timer.identified("key-42");
        ticker.advance(Duration.ofMillis(20));
        timer.firstToken();
        ticker.advance(Duration.ofMillis(100));
        timer.succeeded(15, 11);

        assertThat(logger.lines).hasSize(1);
        CapturingLogger.Line line = logger.lines.get(0);
        assertThat(line.level()).isEqualTo(Level.INFO);
        assertThat(line.message()).isEqualTo("call request_id=req-1 key_id=key-42 model=tiny operation=chat "
                + "outcome=success error_code=- reason=- status=200 latency_ms=120.000 prompt_tokens=15 "
                + "completion_tokens=11 tpot_ms=10.000");
        assertThat(line.mdc()).containsEntry("request_id", "req-1").containsEntry("key_id", "key-42")
                .containsEntry("status", "200").containsEntry("outcome", "success");
    }

    @ParameterizedTest
    @EnumSource(ErrorCode.class)
    void eachFailureClassIsLoggedWithItsCodeStatusAndReason(ErrorCode code) {
        RequestTimer timer = metrics.start(new RequestInfo("req-2", "key-9", "tiny", Operation.GENERATE));
        ticker.advance(Duration.ofMillis(3));
        timer.failed(code, "some_reason");

        CapturingLogger.Line line = logger.lines.get(0);
        assertThat(line.level()).isEqualTo(code.httpStatus() >= 500 ? Level.WARN : Level.INFO);
        assertThat(line.message()).isEqualTo("call request_id=req-2 key_id=key-9 model=tiny "
                + "operation=text_completion outcome=failure error_code=" + code + " reason=some_reason status="
                + code.httpStatus() + " latency_ms=3.000 prompt_tokens=- completion_tokens=- tpot_ms=-");
        assertThat(line.mdc()).containsEntry("error_code", code.name())
                .containsEntry("status", Integer.toString(code.httpStatus()));
    }

    @Test
    void theCallersMdcIsRestoredAndAnUnknownKeyIsADash() {
        MDC.put("status", "caller-value");
        try {
            metrics.start(new RequestInfo("req-3", null, "tiny", Operation.CHAT))
                    .failed(ErrorCode.UNAUTHENTICATED, null);
            assertThat(MDC.get("status")).isEqualTo("caller-value");
            assertThat(MDC.get("request_id")).isNull();
        } finally {
            MDC.remove("status");
        }
        assertThat(logger.lines.get(0).message()).contains("key_id=- ").contains("status=401")
                .contains("reason=- ");
    }

    @Test
    void fieldValuesCannotBreakTheKeyValueFormat() {
        metrics.start(new RequestInfo("req 4", "key=5", "my model", Operation.CHAT))
                .failed(ErrorCode.PERMISSION_DENIED, "not allowed\nfake=line");
        assertThat(logger.lines.get(0).message()).startsWith("call request_id=req_4 key_id=key_5 model=my_model ")
                .contains("reason=not_allowed_fake_line").doesNotContain("\n");
    }
}

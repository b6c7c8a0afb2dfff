package dev.assistant.server.openai;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;
import org.junit.jupiter.api.Test;

import java.util.OptionalLong;

import static org.assertj.core.api.Assertions.assertThat;

class ApiErrorTest {

    private static ApiError of(ErrorCode code, String reason, long retryNanos) {
        return ApiError.from(new AssistantException(code, "msg", reason, null, retryNanos));
    }

    @Test
    void everyCodeMapsToItsStatus() {
        for (ErrorCode code : ErrorCode.values()) {
            assertThat(of(code, null, -1).status()).as(code.name()).isEqualTo(code.httpStatus());
        }
    }

    @Test
    void typesAndCodesAreTheOnesClientsRecognise() {
        assertThat(of(ErrorCode.UNAUTHENTICATED, "unknown_key", -1).code()).isEqualTo("invalid_api_key");
        assertThat(of(ErrorCode.UNAUTHENTICATED, "missing_key", -1).code()).isEqualTo("missing_api_key");
        assertThat(of(ErrorCode.MODEL_NOT_FOUND, null, -1).code()).isEqualTo("model_not_found");
        assertThat(of(ErrorCode.CONTEXT_OVERFLOW, null, -1).code()).isEqualTo("context_length_exceeded");
        assertThat(of(ErrorCode.RATE_LIMITED, null, -1).type()).isEqualTo("rate_limit_error");
        assertThat(of(ErrorCode.PERMISSION_DENIED, "explicit_deny", -1).code()).isEqualTo("explicit_deny");
        assertThat(of(ErrorCode.INTERNAL, null, -1).type()).isEqualTo("server_error");
    }

    @Test
    void retryAfterIsRoundedUpToWholeSeconds() {
        assertThat(of(ErrorCode.RATE_LIMITED, null, 1).retryAfterSeconds()).isEqualTo(OptionalLong.of(1));
        assertThat(of(ErrorCode.RATE_LIMITED, null, 1_000_000_000L).retryAfterSeconds()).isEqualTo(OptionalLong.of(1));
        assertThat(of(ErrorCode.RATE_LIMITED, null, 1_000_000_001L).retryAfterSeconds()).isEqualTo(OptionalLong.of(2));
        assertThat(of(ErrorCode.RATE_LIMITED, null, -1).retryAfterSeconds()).isEqualTo(OptionalLong.of(1));
        assertThat(of(ErrorCode.OVERLOADED, null, 2_500_000_000L).retryAfterSeconds()).isEqualTo(OptionalLong.of(3));
        assertThat(of(ErrorCode.INVALID_REQUEST, null, -1).retryAfterSeconds()).isEmpty();
    }

    @Test
    void overloadNeverSaysRetryAtOnce() {
        assertThat(of(ErrorCode.OVERLOADED, null, 0).retryAfterSeconds()).isEqualTo(OptionalLong.of(1));
        assertThat(of(ErrorCode.RESOURCE_EXHAUSTED, null, 0).retryAfterSeconds()).isEqualTo(OptionalLong.of(1));
        assertThat(of(ErrorCode.RATE_LIMITED, null, 0).retryAfterSeconds()).isEqualTo(OptionalLong.of(1));
    }

    @Test
    void bodyHasTheOpenAiShape() {
        var body = ApiError.modelNotFound("gpt-x").toJson(new ObjectMapper());
        assertThat(body.toString()).isEqualTo("{\"error\":{\"message\":\"The model 'gpt-x' does not exist or is not "
                + "served here.\",\"type\":\"invalid_request_error\",\"param\":\"model\",\"code\":\"model_not_found\"}}");
    }
}

package dev.assistant.server.openai;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;

import java.util.Objects;
import java.util.OptionalLong;

/**
 * An error as the OpenAI API reports it: an HTTP status and a body
 * {@code {"error":{"message","type","param","code"}}}, plus the seconds for {@code Retry-After} when the caller
 * should come back later.
 *
 * <p>Messages come from {@link AssistantException#getMessage()}, which never contains a secret; nothing from the
 * request (in particular the {@code Authorization} header) is ever copied into an error.
 *
 * @param status            HTTP status
 * @param type              OpenAI error type, e.g. {@code invalid_request_error}
 * @param code              OpenAI error code, e.g. {@code model_not_found}; may be null
 * @param param             the request field at fault; may be null
 * @param message           human-readable explanation
 * @param retryAfterSeconds seconds to wait before retrying, or empty
 */
public record ApiError(int status, String type, String code, String param, String message,
                       OptionalLong retryAfterSeconds) {

    public ApiError {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(message, "message");
        Objects.requireNonNull(retryAfterSeconds, "retryAfterSeconds");
    }

    /** A 400 about one request field. */
    public static ApiError invalid(String param, String message) {
        return new ApiError(400, "invalid_request_error", null, param, message, OptionalLong.empty());
    }

    /** A 404 for a model this server does not serve. */
    public static ApiError modelNotFound(String model) {
        return new ApiError(404, "invalid_request_error", "model_not_found", "model",
                "The model '" + model + "' does not exist or is not served here.", OptionalLong.empty());
    }

    /** A 404 for an unknown path. */
    public static ApiError unknownRoute(String method, String path) {
        return new ApiError(404, "invalid_request_error", "unknown_url", null,
                "Unknown request URL: " + method + " " + path + ".", OptionalLong.empty());
    }

    /** A 405 for a known path with the wrong method. */
    public static ApiError methodNotAllowed(String method, String path) {
        return new ApiError(405, "invalid_request_error", "method_not_allowed", null,
                "Method " + method + " is not allowed on " + path + ".", OptionalLong.empty());
    }

    /** A 413 for a body over the configured limit. */
    public static ApiError tooLarge(int limit) {
        return new ApiError(413, "invalid_request_error", "request_too_large", null,
                "The request body exceeds the limit of " + limit + " bytes.", OptionalLong.empty());
    }

    /** A 503 while the server drains for shutdown or loads its model. */
    public static ApiError unavailable(String code, String message) {
        return new ApiError(503, "server_error", code, null, message, OptionalLong.of(1));
    }

    /**
     * Maps an assistant failure to the status, type and code OpenAI clients expect. {@code RATE_LIMITED} (and any
     * failure that says how long to wait) carries {@code Retry-After} in whole seconds, rounded up so a client
     * that honours it is never early, and never 0: a client told to retry at once hammers a saturated server.
     */
    public static ApiError from(AssistantException e) {
        ErrorCode c = e.code();
        String reason = e.reason();
        OptionalLong retry = e.retryAfterNanos().isPresent()
                ? OptionalLong.of(Math.max(1, ceilSeconds(e.retryAfterNanos().getAsLong()))) : OptionalLong.empty();
        String message = e.getMessage() == null ? c.name() : e.getMessage();
        return switch (c) {
            case INVALID_REQUEST -> new ApiError(400, "invalid_request_error", reason, null, message, retry);
            case CONTEXT_OVERFLOW -> new ApiError(400, "invalid_request_error", "context_length_exceeded", "messages",
                    message, retry);
            case UNAUTHENTICATED -> new ApiError(401, "invalid_request_error",
                    Objects.equals(reason, "missing_key") ? "missing_api_key" : "invalid_api_key", null, message, retry);
            case PERMISSION_DENIED -> new ApiError(403, "permission_error", reason == null ? "permission_denied" : reason,
                    null, message, retry);
            case MODEL_NOT_FOUND -> new ApiError(404, "invalid_request_error", "model_not_found", "model", message, retry);
            case RATE_LIMITED -> new ApiError(429, "rate_limit_error", "rate_limit_exceeded", null, message,
                    retry.isPresent() ? retry : OptionalLong.of(1));
            case OVERLOADED, RESOURCE_EXHAUSTED -> new ApiError(503, "server_error", "overloaded", null, message,
                    retry.isPresent() ? retry : OptionalLong.of(1));
            case ENGINE_UNAVAILABLE -> new ApiError(503, "server_error", "engine_unavailable", null, message, retry);
            case TIMEOUT -> new ApiError(504, "server_error", "timeout", null, message, retry);
            case CANCELLED -> new ApiError(499, "invalid_request_error", "cancelled", null, message, retry);
            case INTERNAL, MODEL_CORRUPTED, MODEL_INVALID -> new ApiError(500, "server_error",
                    c.name().toLowerCase(java.util.Locale.ROOT), null, message, retry);
        };
    }

    static long ceilSeconds(long nanos) {
        if (nanos <= 0) {
            return 0;
        }
        return (nanos + 999_999_999L) / 1_000_000_000L;
    }

    /** The OpenAI error body. */
    public ObjectNode toJson(ObjectMapper json) {
        ObjectNode root = json.createObjectNode();
        ObjectNode error = root.putObject("error");
        error.put("message", message);
        error.put("type", type);
        error.put("param", param);
        error.put("code", code);
        return root;
    }
}

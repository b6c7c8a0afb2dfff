package dev.assistant.api;

import java.util.Objects;
import java.util.OptionalLong;

/**
 * The one exception callers of the assistant see. It carries an {@link ErrorCode}; its message says what was wrong
 * and what to do, and never contains a secret.
 *
 * <p>{@link #retryAfterNanos()} is set for {@link ErrorCode#RATE_LIMITED} (and may be for overload), so a server can
 * answer with {@code Retry-After}. {@link #reason()} is a short machine-readable sub-code (for example
 * {@code key_expired}) where the code alone is too coarse.
 */
public class AssistantException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final ErrorCode code;
    private final String reason;
    private final long retryAfterNanos;

    public AssistantException(ErrorCode code, String message) {
        this(code, message, null, null, -1);
    }

    public AssistantException(ErrorCode code, String message, Throwable cause) {
        this(code, message, null, cause, -1);
    }

    public AssistantException(ErrorCode code, String message, String reason, Throwable cause, long retryAfterNanos) {
        super(message, cause);
        this.code = Objects.requireNonNull(code, "code");
        this.reason = reason;
        this.retryAfterNanos = retryAfterNanos;
    }

    public ErrorCode code() {
        return code;
    }

    /** The HTTP-like status of {@link #code()}. */
    public int httpStatus() {
        return code.httpStatus();
    }

    /** A short machine-readable sub-code, or {@code null}. */
    public String reason() {
        return reason;
    }

    /** How long to wait before retrying, when the failure says so. */
    public OptionalLong retryAfterNanos() {
        return retryAfterNanos < 0 ? OptionalLong.empty() : OptionalLong.of(retryAfterNanos);
    }

    @Override
    public String toString() {
        return "AssistantException[" + code + (reason == null ? "" : "/" + reason) + "]: " + getMessage();
    }
}

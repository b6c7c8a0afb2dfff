package dev.assistant.server.openai;

import java.util.Objects;

/** Thrown while handling a request to answer with {@link #error()}; its message is the error's (no secrets). */
public final class ApiException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final transient ApiError error;

    public ApiException(ApiError error) {
        super(Objects.requireNonNull(error, "error").message(), null, false, false);
        this.error = error;
    }

    public ApiError error() {
        return error;
    }
}

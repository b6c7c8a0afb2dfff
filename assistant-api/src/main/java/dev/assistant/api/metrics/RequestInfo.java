package dev.assistant.api.metrics;

import java.util.Objects;

/**
 * The identity of one assistant call, handed to every {@link MetricsListener} event of that call.
 *
 * <p>It carries no secret: {@code keyId} is the public identifier of the caller's API key (or {@code null} before
 * the caller is known), never the key itself. All fields are validated so they are safe to put into a log line:
 * no control characters, bounded length.
 *
 * @param requestId unique id of the call (for example a UUID or a host-supplied correlation id)
 * @param keyId     id of the caller's API key, or {@code null} when not (yet) known
 * @param model     the model name the call targets
 * @param operation the kind of call
 */
public record RequestInfo(String requestId, String keyId, String model, Operation operation) {
    /** Longest accepted id or model name; longer values are rejected rather than truncated (they are a bug). */
    public static final int MAX_LENGTH = 200;

    public RequestInfo {
        requireSafe(requestId, "requestId");
        if (keyId != null) {
            requireSafe(keyId, "keyId");
        }
        requireSafe(model, "model");
        Objects.requireNonNull(operation, "operation");
    }

    /** This identity with the caller's key id set, once authentication has identified it. */
    public RequestInfo withKeyId(String newKeyId) {
        return new RequestInfo(requestId, newKeyId, model, operation);
    }

    private static void requireSafe(String value, String name) {
        Objects.requireNonNull(value, name);
        if (value.isEmpty() || value.length() > MAX_LENGTH) {
            throw new IllegalArgumentException(name + " must be 1.." + MAX_LENGTH + " characters, was "
                    + value.length());
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            // Control characters would let a caller forge extra log lines (log injection).
            if (Character.isISOControl(c)) {
                throw new IllegalArgumentException(name + " must not contain control characters");
            }
        }
    }
}

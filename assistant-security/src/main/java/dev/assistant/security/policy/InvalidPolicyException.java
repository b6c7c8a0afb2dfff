package dev.assistant.security.policy;

import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;

/**
 * A policy document was rejected when it was loaded. {@link #field()} is the JSON path of the wrong field, e.g.
 * {@code statement[1].effect}; the reason code is {@code malformed_policy}.
 */
public class InvalidPolicyException extends AssistantException {
    private static final long serialVersionUID = 1L;
    public static final String REASON = "malformed_policy";

    private final String policy;
    private final String field;

    public InvalidPolicyException(String policy, String field, String problem) {
        super(ErrorCode.INVALID_REQUEST, "policy '" + policy + "': field " + field + ": " + problem, REASON, null, -1);
        this.policy = policy;
        this.field = field;
    }

    /** The name of the rejected policy. */
    public String policy() {
        return policy;
    }

    /** The JSON path of the field that is wrong ({@code $} for the document itself). */
    public String field() {
        return field;
    }
}

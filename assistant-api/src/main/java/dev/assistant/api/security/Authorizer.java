package dev.assistant.api.security;

import dev.assistant.api.security.Principal;

/**
 * The authorization step: may this principal perform this action on this resource?
 *
 * <p>Contract: returns the allowing {@link Decision}, or throws {@link dev.assistant.api.AssistantException}
 * with {@link dev.assistant.api.ErrorCode#PERMISSION_DENIED}, reason {@code explicit_deny} or
 * {@code no_matching_allow}, and a message naming the action, the resource and the denying statement (if any).
 * Thread-safe.
 */
@FunctionalInterface
public interface Authorizer {
    Decision authorize(Principal principal, Action action, String resource);

    /** The resource name of a model, as policies write it: {@code model/<name>}. */
    static String modelResource(String model) {
        return "model/" + model;
    }
}

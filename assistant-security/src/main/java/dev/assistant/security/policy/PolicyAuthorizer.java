package dev.assistant.security.policy;

import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;
import dev.assistant.security.SecurityEvents;
import dev.assistant.security.auth.Principal;
import java.util.Objects;

/** {@link Authorizer} over the policies attached to the principal (by key and by group). */
public final class PolicyAuthorizer implements Authorizer {
    public static final String EXPLICIT_DENY = "explicit_deny";
    public static final String NO_MATCHING_ALLOW = "no_matching_allow";

    private final SecurityEvents events;

    public PolicyAuthorizer(SecurityEvents events) {
        this.events = SecurityEvents.safe(Objects.requireNonNull(events, "events"));
    }

    @Override
    public Decision authorize(Principal principal, Action action, String resource) {
        Decision decision = PolicyEvaluator.evaluate(principal.policies(), action, resource);
        if (decision.allowed()) {
            return decision;
        }
        events.permissionDenied(principal.keyId(), action.name(), resource);
        String message = "key " + principal.keyId() + " may not perform " + action + " on " + resource + ": "
                + decision.explain();
        throw new AssistantException(ErrorCode.PERMISSION_DENIED, message,
                decision.isDefaultDeny() ? NO_MATCHING_ALLOW : EXPLICIT_DENY, null, -1);
    }
}

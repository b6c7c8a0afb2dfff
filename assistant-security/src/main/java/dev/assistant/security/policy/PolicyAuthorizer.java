package dev.assistant.security.policy;

import dev.assistant.api.security.Decision;
import dev.assistant.api.security.Action;
import dev.assistant.api.security.Authorizer;
import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;
import dev.assistant.security.SecurityEvents;
import dev.assistant.api.security.Principal;
import dev.assistant.security.auth.KeyPrincipal;
import java.util.List;
import java.util.Objects;

/**
 * {@link Authorizer} over the policies attached to the principal (by key and by group), which a
 * {@link KeyPrincipal} carries. Any other principal (from a host's own authenticator) has no policies here and is
 * therefore denied ({@code no_matching_allow}): policies never come from somewhere the operator did not configure.
 */
public final class PolicyAuthorizer implements Authorizer {
    public static final String EXPLICIT_DENY = "explicit_deny";
    public static final String NO_MATCHING_ALLOW = "no_matching_allow";

    private final SecurityEvents events;

    public PolicyAuthorizer(SecurityEvents events) {
        this.events = SecurityEvents.safe(Objects.requireNonNull(events, "events"));
    }

    @Override
    public Decision authorize(Principal principal, Action action, String resource) {
        Decision decision = PolicyEvaluator.evaluate(policiesOf(principal), action, resource);
        if (decision.allowed()) {
            return decision;
        }
        events.permissionDenied(principal.keyId(), action.name(), resource);
        String message = "key " + principal.keyId() + " may not perform " + action + " on " + resource + ": "
                + decision.explain();
        throw new AssistantException(ErrorCode.PERMISSION_DENIED, message,
                decision.isDefaultDeny() ? NO_MATCHING_ALLOW : EXPLICIT_DENY, null, -1);
    }

    private static List<Policy> policiesOf(Principal principal) {
        return principal instanceof KeyPrincipal key ? key.policies() : List.of();
    }
}

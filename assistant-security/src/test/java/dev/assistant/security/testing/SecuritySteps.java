package dev.assistant.security.testing;

import dev.assistant.api.security.Action;
import dev.assistant.api.security.Authenticator;
import dev.assistant.api.security.Authorizer;
import dev.assistant.api.security.Principal;
import dev.assistant.api.security.RateLimiter;

/**
 * Runs this module's components in the order core's request steps run them (authenticate, authorize,
 * rate-limit), so the module's tests can check how configured components behave together without the core.
 * Each part may be null (left out), as in the assistant's builder.
 */
public record SecuritySteps(Authenticator authenticator, Authorizer authorizer, RateLimiter rateLimiter,
                            Principal anonymous) {

    /** The principal the call runs as, or the step's {@code AssistantException}. */
    public Principal admit(char[] presentedKey, Action action, String model) {
        Principal principal = authenticator == null ? anonymous : authenticator.authenticate(presentedKey);
        if (authorizer != null) {
            authorizer.authorize(principal, action, Authorizer.modelResource(model));
        }
        if (rateLimiter != null) {
            rateLimiter.acquire(principal, model);
        }
        return principal;
    }
}

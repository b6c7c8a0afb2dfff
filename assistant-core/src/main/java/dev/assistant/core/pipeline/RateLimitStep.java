package dev.assistant.core.pipeline;

import dev.assistant.core.Completion;
import dev.assistant.api.security.Principal;
import dev.assistant.api.security.RateLimiter;

/**
 * Holds each key (and optionally key x model) to its request rate before the call is scheduled, and charges the
 * tokens it actually used to the key's token budget afterwards. A refusal is {@code RATE_LIMITED} with the time
 * to wait.
 */
public final class RateLimitStep implements CallStep {
    private final RateLimiter limiter;
    private final Principal anonymous;

    public RateLimitStep(RateLimiter limiter, Principal anonymous) {
        this.limiter = limiter;
        this.anonymous = anonymous;
    }

    @Override
    public Completion handle(Call call, Chain next) {
        Principal principal = AuthorizationStep.principalOf(call, anonymous);
        limiter.acquire(principal, call.model());
        Completion c = next.proceed(call);
        limiter.chargeTokens(principal, call.model(), c.usage().totalTokens());
        return c;
    }
}

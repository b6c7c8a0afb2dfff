package dev.assistant.core.pipeline;

import dev.assistant.core.Completion;
import dev.assistant.api.security.Principal;
import dev.assistant.api.security.RateLimiter;

import java.util.concurrent.CompletableFuture;

/**
 * Holds each key (and optionally key x model) to its request rate before the call is scheduled, and charges the
 * model tokens the call used to the key's token budget however it ends: all of them when it completes, and the
 * prompt (once the engine took it up) plus every token produced so far when it is cancelled, times out or fails,
 * so that dropping a stream early does not escape the budget. A refusal is {@code RATE_LIMITED} with the time to
 * wait.
 */
public final class RateLimitStep implements CallStep {
    private final RateLimiter limiter;
    private final Principal anonymous;

    public RateLimitStep(RateLimiter limiter, Principal anonymous) {
        this.limiter = limiter;
        this.anonymous = anonymous;
    }

    @Override
    public CompletableFuture<Completion> handle(Call call, Chain next) {
        Principal principal = AuthorizationStep.principalOf(call, anonymous);
        limiter.acquire(principal, call.model());
        return next.proceed(call).whenComplete((c, e) -> {
            long tokens = e == null ? c.usage().totalTokens() : call.tokensSpent();
            limiter.chargeTokens(principal, call.model(), tokens); // never throws, ignores 0
        });
    }
}

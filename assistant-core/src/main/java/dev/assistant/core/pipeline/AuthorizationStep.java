package dev.assistant.core.pipeline;

import dev.assistant.core.Completion;
import dev.assistant.api.security.Principal;
import dev.assistant.api.security.Action;
import dev.assistant.api.security.Authorizer;

import java.util.concurrent.CompletableFuture;

/**
 * Checks the caller's policies for the call's action ({@code assistant:Chat}, {@code assistant:Generate}) on the
 * model resource ({@code model/<name>}); explicit deny wins, no matching allow denies.
 */
public final class AuthorizationStep implements CallStep {
    private final Authorizer authorizer;
    private final Principal anonymous;

    /** @param anonymous who the caller is when no authentication step ran */
    public AuthorizationStep(Authorizer authorizer, Principal anonymous) {
        this.authorizer = authorizer;
        this.anonymous = anonymous;
    }

    @Override
    public CompletableFuture<Completion> handle(Call call, Chain next) {
        authorizer.authorize(principalOf(call, anonymous), actionOf(call), Authorizer.modelResource(call.model()));
        return next.proceed(call);
    }

    static Principal principalOf(Call call, Principal anonymous) {
        Principal principal = call.principal();
        return principal != null ? principal : anonymous;
    }

    static Action actionOf(Call call) {
        return Action.of(call.operation().action());
    }
}

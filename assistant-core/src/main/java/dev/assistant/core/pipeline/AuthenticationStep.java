package dev.assistant.core.pipeline;

import dev.assistant.core.CallerKey;
import dev.assistant.core.Completion;
import dev.assistant.api.security.Authenticator;
import dev.assistant.api.security.Principal;

import java.util.Arrays;
import java.util.concurrent.CompletableFuture;

/**
 * Verifies the caller's API key and records who is calling. The key's characters are copied out of the request's
 * holder only for the check and wiped right after; only the key id travels on.
 */
public final class AuthenticationStep implements CallStep {
    private final Authenticator authenticator;

    public AuthenticationStep(Authenticator authenticator) {
        this.authenticator = authenticator;
    }

    @Override
    public CompletableFuture<Completion> handle(Call call, Chain next) {
        CallerKey key = call.callerKey();
        char[] chars = key == null ? null : key.chars();
        Principal principal;
        try {
            principal = authenticator.authenticate(chars);
        } finally {
            if (chars != null) {
                Arrays.fill(chars, '\0');
            }
        }
        call.authenticated(principal);
        return next.proceed(call);
    }
}

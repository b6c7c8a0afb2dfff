package dev.assistant.security;

import dev.assistant.security.auth.Authenticator;
import dev.assistant.security.auth.Principal;
import dev.assistant.security.policy.Action;
import dev.assistant.security.policy.Authorizer;
import dev.assistant.security.ratelimit.RateLimiter;
import java.util.List;
import java.util.Objects;

/**
 * The three security steps of a call, in order: authenticate, authorize, rate-limit. Each step is optional, so an
 * embedded single-user app can run with no keys at all (callers are then the {@linkplain Principal#anonymous
 * anonymous principal}, governed by the policies given to the builder). Immutable and thread-safe.
 *
 * <p>{@link #admit} either returns the principal the call runs as, or throws the step's
 * {@link dev.assistant.api.AssistantException} ({@code UNAUTHENTICATED}, {@code PERMISSION_DENIED},
 * {@code RATE_LIMITED}). After the call, {@link #charge} charges the tokens it used.
 */
public final class CallGuard {
    private final Authenticator authenticator;
    private final Authorizer authorizer;
    private final RateLimiter rateLimiter;
    private final Principal anonymous;

    private CallGuard(Builder b) {
        this.authenticator = b.authenticator;
        this.authorizer = b.authorizer;
        this.rateLimiter = b.rateLimiter == null ? RateLimiter.NONE : b.rateLimiter;
        this.anonymous = b.anonymous;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A guard with no steps: every call runs as the anonymous principal (with no policies). */
    public static CallGuard open(Environment environment) {
        return builder().anonymous(Principal.anonymous(environment, List.of())).build();
    }

    /**
     * Runs the configured steps for a call of {@code action} on {@code model}.
     *
     * @param presentedKey the caller's API key (ignored without an authenticator); not kept, the caller wipes it
     */
    public Principal admit(char[] presentedKey, Action action, String model) {
        Principal principal = authenticator == null ? anonymous : authenticator.authenticate(presentedKey);
        if (authorizer != null) {
            authorizer.authorize(principal, action, Authorizer.modelResource(model));
        }
        rateLimiter.acquire(principal, model);
        return principal;
    }

    /** Charges the model tokens a finished call used to the principal's budget (never throws). */
    public void charge(Principal principal, String model, long tokens) {
        rateLimiter.chargeTokens(principal, model, tokens);
    }

    public boolean authenticates() {
        return authenticator != null;
    }

    public boolean authorizes() {
        return authorizer != null;
    }

    public RateLimiter rateLimiter() {
        return rateLimiter;
    }

    /** Steps are set at most once; leaving one out skips it. */
    public static final class Builder {
        private Authenticator authenticator;
        private Authorizer authorizer;
        private RateLimiter rateLimiter;
        private Principal anonymous;

        private Builder() {
        }

        public Builder authenticator(Authenticator authenticator) {
            if (this.authenticator != null) {
                throw new IllegalStateException("authenticator already set");
            }
            this.authenticator = Objects.requireNonNull(authenticator, "authenticator");
            return this;
        }

        public Builder authorizer(Authorizer authorizer) {
            if (this.authorizer != null) {
                throw new IllegalStateException("authorizer already set");
            }
            this.authorizer = Objects.requireNonNull(authorizer, "authorizer");
            return this;
        }

        public Builder rateLimiter(RateLimiter rateLimiter) {
            if (this.rateLimiter != null) {
                throw new IllegalStateException("rateLimiter already set");
            }
            this.rateLimiter = Objects.requireNonNull(rateLimiter, "rateLimiter");
            return this;
        }

        /** The principal calls run as when there is no authenticator. */
        public Builder anonymous(Principal anonymous) {
            if (this.anonymous != null) {
                throw new IllegalStateException("anonymous principal already set");
            }
            this.anonymous = Objects.requireNonNull(anonymous, "anonymous");
            return this;
        }

        public CallGuard build() {
            if (authenticator == null && anonymous == null) {
                throw new IllegalStateException("without an authenticator, set the anonymous principal calls run as");
            }
            if (authenticator != null && anonymous != null) {
                throw new IllegalStateException("an anonymous principal makes no sense with an authenticator");
            }
            return new CallGuard(this);
        }
    }
}

package dev.assistant.api.security;

import dev.assistant.api.AssistantException;
import dev.assistant.api.security.Principal;

/**
 * The rate-limit step: each key (and optionally each key x model) is held to its rate plan.
 *
 * <p>Contract: {@link #tryAcquire} never throws for a refusal or a backend outage (it returns an
 * {@link Admission}); {@link #acquire} turns a refusal into {@code RATE_LIMITED} with
 * {@link AssistantException#retryAfterNanos()}. {@link #chargeTokens} records the model tokens a finished request
 * used and never throws. Implementations are thread-safe.
 */
public interface RateLimiter extends AutoCloseable {
    /** A limiter that admits everything (deployments without rate limits). */
    RateLimiter NONE = new RateLimiter() {
        @Override
        public Admission tryAcquire(Principal principal, String model) {
            return Admission.ADMITTED;
        }

        @Override
        public void chargeTokens(Principal principal, String model, long tokens) {
        }
    };

    /** Asks to admit one request of {@code principal} to {@code model}. */
    Admission tryAcquire(Principal principal, String model);

    /** Admits one request or throws {@code RATE_LIMITED} carrying the nanoseconds to wait. */
    default void acquire(Principal principal, String model) {
        Admission admission = tryAcquire(principal, model);
        if (!admission.admitted()) {
            throw admission.toException(principal.keyId(), model);
        }
    }

    /** Charges {@code tokens} model tokens (prompt + completion) used by a finished request to the key's budget. */
    void chargeTokens(Principal principal, String model, long tokens);

    @Override
    default void close() {
    }
}

package dev.assistant.security.ratelimit;

import dev.assistant.api.security.Admission;
import dev.assistant.api.security.RateLimiter;
import dev.assistant.security.SecurityEvents;
import dev.assistant.api.security.Principal;
import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.EstimationProbe;
import java.time.Duration;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link RateLimiter} over Bucket4j buckets from a {@link BucketSource} (local or Redis).
 *
 * <p>Per request: (1) if the key has a token budget and it is spent (in debt), refuse with the time until it is
 * positive again; (2) take one request from the key's bucket; (3) if a per key x model plan is set, take one from
 * that bucket too, and give the key's request back if that one refuses. {@link #chargeTokens} charges the tokens a
 * finished request used, possibly into debt, so the next request waits. A backend failure applies the
 * {@link FailureMode}, is counted through {@link SecurityEvents}, and is never thrown.
 */
public final class BucketRateLimiter implements RateLimiter {
    private static final Logger LOG = LoggerFactory.getLogger(BucketRateLimiter.class);

    private final BucketSource source;
    private final RateLimitConfig config;
    private final SecurityEvents events;
    private final String name;

    /** @param name the backend's name for logs ({@code local}, {@code redis}) */
    public BucketRateLimiter(String name, BucketSource source, RateLimitConfig config, SecurityEvents events) {
        this.name = name;
        this.source = Objects.requireNonNull(source, "source");
        this.config = Objects.requireNonNull(config, "config");
        this.events = SecurityEvents.safe(Objects.requireNonNull(events, "events"));
    }

    @Override
    public Admission tryAcquire(Principal principal, String model) {
        String keyId = principal.keyId();
        RatePlan plan = config.planFor(keyId);
        try {
            if (plan.hasTokenBudget()) {
                EstimationProbe budget = tokenBucket(keyId, plan).estimateAbilityToConsume(1);
                if (!budget.canBeConsumed()) {
                    return refuse(keyId, model, Admission.TOKENS, budget.getNanosToWaitForRefill());
                }
            }
            Bucket keyBucket = source.bucket("req:" + keyId, () -> requestConfiguration(plan));
            ConsumptionProbe probe = keyBucket.tryConsumeAndReturnRemaining(1);
            if (!probe.isConsumed()) {
                return refuse(keyId, model, Admission.REQUESTS, probe.getNanosToWaitForRefill());
            }
            RatePlan modelPlan = config.modelPlan().orElse(null);
            if (modelPlan != null) {
                ConsumptionProbe modelProbe = source.bucket("req:" + keyId + "|model:" + model,
                        () -> requestConfiguration(modelPlan)).tryConsumeAndReturnRemaining(1);
                if (!modelProbe.isConsumed()) {
                    // The request is not going ahead: do not let it use up the key's rate either.
                    keyBucket.addTokens(1);
                    return refuse(keyId, model, Admission.MODEL_REQUESTS, modelProbe.getNanosToWaitForRefill());
                }
            }
            return Admission.ADMITTED;
        } catch (RuntimeException e) {
            return backendFailed(keyId, model, e);
        }
    }

    @Override
    public void chargeTokens(Principal principal, String model, long tokens) {
        if (tokens <= 0) {
            return;
        }
        RatePlan plan = config.planFor(principal.keyId());
        if (!plan.hasTokenBudget()) {
            return;
        }
        try {
            tokenBucket(principal.keyId(), plan).consumeIgnoringRateLimits(tokens);
        } catch (RuntimeException e) {
            boolean failOpen = config.failureMode() == FailureMode.FAIL_OPEN;
            events.rateLimitBackendFailure(failOpen);
            LOG.warn("rate-limit backend {} failed while charging tokens for key {}: {}", name, principal.keyId(),
                    e.getClass().getSimpleName());
        }
    }

    private Bucket tokenBucket(String keyId, RatePlan plan) {
        return source.bucket("tok:" + keyId, () -> BucketConfiguration.builder()
                .addLimit(Bandwidth.builder().capacity(plan.tokensPerMinute())
                        .refillGreedy(plan.tokensPerMinute(), Duration.ofMinutes(1)).build())
                .build());
    }

    private static BucketConfiguration requestConfiguration(RatePlan plan) {
        return BucketConfiguration.builder()
                .addLimit(Bandwidth.builder().capacity(plan.burst())
                        .refillGreedy(plan.requestsPerSecond(), Duration.ofSeconds(1)).build())
                .build();
    }

    private Admission refuse(String keyId, String model, String limit, long nanosToWait) {
        events.rateLimited(keyId, model, limit, nanosToWait);
        return Admission.refused(limit, nanosToWait);
    }

    private Admission backendFailed(String keyId, String model, RuntimeException e) {
        if (!source.remote()) {
            throw e; // a local bucket failing is a bug, not an outage
        }
        boolean failOpen = config.failureMode() == FailureMode.FAIL_OPEN;
        events.rateLimitBackendFailure(failOpen);
        LOG.debug("rate-limit backend {} failed ({}); failing {}", name, e.getClass().getSimpleName(),
                failOpen ? "open" : "closed");
        if (failOpen) {
            return Admission.ADMITTED_DEGRADED;
        }
        long wait = config.failClosedRetryAfter().toNanos();
        events.rateLimited(keyId, model, Admission.BACKEND_UNAVAILABLE, wait);
        return Admission.refused(Admission.BACKEND_UNAVAILABLE, wait);
    }

    @Override
    public void close() {
        source.close();
    }

    @Override
    public String toString() {
        return "RateLimiter[" + name + ", " + config + "]";
    }
}

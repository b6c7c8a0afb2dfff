package dev.assistant.security.ratelimit;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Immutable rate-limit configuration: the default plan of every key, per-key overrides, an optional per key x model
 * plan, and what a shared backend does when it is unreachable.
 */
public final class RateLimitConfig {
    private final RatePlan defaultPlan;
    private final Map<String, RatePlan> keyPlans;
    private final RatePlan modelPlan;
    private final FailureMode failureMode;
    private final Duration failClosedRetryAfter;
    private final Duration idleExpiry;

    private RateLimitConfig(Builder b) {
        this.defaultPlan = b.defaultPlan;
        this.keyPlans = Map.copyOf(b.keyPlans);
        this.modelPlan = b.modelPlan;
        this.failureMode = b.failureMode;
        this.failClosedRetryAfter = b.failClosedRetryAfter;
        this.idleExpiry = b.idleExpiry;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Defaults: 10 rps, burst 10, no token budget, no per-model limit, fail closed. */
    public static RateLimitConfig defaults() {
        return builder().build();
    }

    /** The plan of {@code keyId}: its override or the default. */
    public RatePlan planFor(String keyId) {
        RatePlan plan = keyPlans.get(keyId);
        return plan == null ? defaultPlan : plan;
    }

    public RatePlan defaultPlan() {
        return defaultPlan;
    }

    /** The plan applied to each key x model pair, if configured. */
    public Optional<RatePlan> modelPlan() {
        return Optional.ofNullable(modelPlan);
    }

    public FailureMode failureMode() {
        return failureMode;
    }

    public Duration failClosedRetryAfter() {
        return failClosedRetryAfter;
    }

    /** How long an unused bucket is kept (in memory or in Redis). */
    public Duration idleExpiry() {
        return idleExpiry;
    }

    @Override
    public String toString() {
        return "RateLimitConfig[default=" + defaultPlan + ", overrides=" + keyPlans.size() + ", perModel=" + modelPlan
                + ", " + failureMode + "]";
    }

    /** Builder; values are validated when set. */
    public static final class Builder {
        private RatePlan defaultPlan = RatePlan.DEFAULT;
        private final Map<String, RatePlan> keyPlans = new HashMap<>();
        private RatePlan modelPlan;
        private FailureMode failureMode = FailureMode.FAIL_CLOSED;
        private Duration failClosedRetryAfter = Duration.ofSeconds(1);
        private Duration idleExpiry = Duration.ofMinutes(10);

        private Builder() {
        }

        public Builder defaultPlan(RatePlan plan) {
            this.defaultPlan = Objects.requireNonNull(plan, "plan");
            return this;
        }

        /** A plan for one key id instead of the default. */
        public Builder keyPlan(String keyId, RatePlan plan) {
            Objects.requireNonNull(keyId, "keyId");
            if (keyPlans.putIfAbsent(keyId, Objects.requireNonNull(plan, "plan")) != null) {
                throw new IllegalArgumentException("key '" + keyId + "' has two plans");
            }
            return this;
        }

        /** Adds a limit per key x model (in addition to the per-key limit). */
        public Builder perModel(RatePlan plan) {
            this.modelPlan = Objects.requireNonNull(plan, "plan");
            return this;
        }

        public Builder failureMode(FailureMode mode) {
            this.failureMode = Objects.requireNonNull(mode, "mode");
            return this;
        }

        /** The Retry-After given when failing closed. Default 1 s. */
        public Builder failClosedRetryAfter(Duration retryAfter) {
            if (retryAfter == null || retryAfter.isNegative() || retryAfter.isZero()) {
                throw new IllegalArgumentException("failClosedRetryAfter must be positive");
            }
            this.failClosedRetryAfter = retryAfter;
            return this;
        }

        public Builder idleExpiry(Duration idleExpiry) {
            if (idleExpiry == null || idleExpiry.compareTo(Duration.ofMinutes(1)) < 0) {
                throw new IllegalArgumentException("idleExpiry must be at least one minute (the token budget window)");
            }
            this.idleExpiry = idleExpiry;
            return this;
        }

        public RateLimitConfig build() {
            return new RateLimitConfig(this);
        }
    }
}

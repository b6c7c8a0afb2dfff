package dev.assistant.security.ratelimit;

/**
 * The agreed rate of one key (or key x model): requests per second with a burst, and an optional budget of model
 * tokens per minute charged after each request with the tokens it actually used.
 *
 * @param requestsPerSecond sustained request rate, refilled smoothly (greedy)
 * @param burst             bucket capacity: requests admissible at once after a quiet period ({@code >= 1})
 * @param tokensPerMinute   model-token budget per minute, {@code 0} for none
 */
public record RatePlan(long requestsPerSecond, long burst, long tokensPerMinute) {
    /** 10 requests per second, burst 10, no token budget: the default of every key. */
    public static final RatePlan DEFAULT = new RatePlan(10, 10, 0);

    public RatePlan {
        if (requestsPerSecond < 1) {
            throw new IllegalArgumentException("requestsPerSecond must be >= 1; was " + requestsPerSecond);
        }
        if (burst < 1) {
            throw new IllegalArgumentException("burst must be >= 1; was " + burst);
        }
        if (tokensPerMinute < 0) {
            throw new IllegalArgumentException("tokensPerMinute must be >= 0; was " + tokensPerMinute);
        }
    }

    /** {@code rps} requests per second with a burst of {@code rps} and no token budget. */
    public static RatePlan perSecond(long rps) {
        return new RatePlan(rps, rps, 0);
    }

    public RatePlan withBurst(long burst) {
        return new RatePlan(requestsPerSecond, burst, tokensPerMinute);
    }

    public RatePlan withTokensPerMinute(long tokensPerMinute) {
        return new RatePlan(requestsPerSecond, burst, tokensPerMinute);
    }

    public boolean hasTokenBudget() {
        return tokensPerMinute > 0;
    }
}

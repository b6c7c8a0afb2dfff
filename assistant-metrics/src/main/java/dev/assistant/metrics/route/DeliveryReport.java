package dev.assistant.metrics.route;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What the router did with one event: each channel of the route it tried, in order, and which one (if any)
 * delivered it.
 *
 * @param rule     the event's rule
 * @param attempts one entry per channel tried, in route order; the route stops at the first delivery
 */
public record DeliveryReport(String rule, List<Attempt> attempts) {
    public DeliveryReport {
        Objects.requireNonNull(rule, "rule");
        attempts = List.copyOf(attempts);
    }

    /** The channel that delivered the event, if any did. */
    public Optional<String> deliveredBy() {
        return attempts.stream().filter(a -> a.outcome() == Outcome.DELIVERED).map(Attempt::channel).findFirst();
    }

    /** Whether some channel delivered the event. */
    public boolean delivered() {
        return deliveredBy().isPresent();
    }

    /** One channel's part. {@code reason} is empty when delivered and never contains secrets. */
    public record Attempt(String channel, Outcome outcome, String reason) {
        public Attempt {
            Objects.requireNonNull(channel, "channel");
            Objects.requireNonNull(outcome, "outcome");
            Objects.requireNonNull(reason, "reason");
        }
    }

    /** How one channel attempt ended. */
    public enum Outcome {
        /** The provider accepted the event. */
        DELIVERED,
        /** The channel tried and failed (refused, timed out, misconfigured, credential missing). */
        FAILED,
        /** Not tried: the channel's rate limit was exhausted. */
        RATE_LIMITED
    }
}

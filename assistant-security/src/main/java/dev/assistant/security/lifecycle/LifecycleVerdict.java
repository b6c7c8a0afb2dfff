package dev.assistant.security.lifecycle;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * The lifecycle judgement of one key at one instant.
 *
 * @param status       accepted, accepted with a rotation warning, or rejected
 * @param reason       for {@link Status#REJECTED}: {@code wrong_environment}, {@code key_not_yet_valid},
 *                     {@code key_expired} or {@code key_rotated_out}; otherwise {@code null}
 * @param rotationDue  time left until the key's maximum age ends ({@code null} once rejected)
 */
public record LifecycleVerdict(Status status, String reason, Duration rotationDue) {
    public static final String WRONG_ENVIRONMENT = "wrong_environment";
    public static final String NOT_YET_VALID = "key_not_yet_valid";
    public static final String EXPIRED = "key_expired";
    public static final String ROTATED_OUT = "key_rotated_out";

    /** The three outcomes. */
    public enum Status { VALID, NEARING_ROTATION, REJECTED }

    public LifecycleVerdict {
        Objects.requireNonNull(status, "status");
        if ((status == Status.REJECTED) != (reason != null)) {
            throw new IllegalArgumentException("a reason is given exactly when the key is rejected");
        }
    }

    static LifecycleVerdict rejected(String reason) {
        return new LifecycleVerdict(Status.REJECTED, reason, null);
    }

    public boolean accepted() {
        return status != Status.REJECTED;
    }

    public Optional<Duration> rotationDueIn() {
        return Optional.ofNullable(rotationDue);
    }
}

package dev.assistant.security.lifecycle;

import dev.assistant.api.security.Environment;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * The rules every key lives by: environment isolation, validity window with clock skew, retirement after a
 * rotation, and a maximum age with an early warning. Immutable and thread-safe; time comes from the injected clock.
 *
 * <p>Rules, in the order they are checked (first failure wins):
 * <ol>
 *   <li>A key issued for another environment is rejected ({@code wrong_environment}).</li>
 *   <li>A key issued more than {@code clockSkew} in the future is rejected ({@code key_not_yet_valid}).</li>
 *   <li>A key with an expiry (temporary, STS-style) is rejected once {@code now >= expiresAt + clockSkew}
 *       ({@code key_expired}): the skew tolerates a KMS/STS clock slightly ahead of ours.</li>
 *   <li>A key retired by a rotation is rejected from its retirement instant ({@code key_rotated_out}); until then
 *       it is valid side by side with its successor.</li>
 *   <li>A key older than {@code maxAge} (default 90 days) is rejected ({@code key_rotated_out}); within
 *       {@code warnBefore} (default 14 days) of that it is accepted with {@code NEARING_ROTATION}.</li>
 * </ol>
 */
public final class KeyLifecycle {
    private final Duration maxAge;
    private final Duration warnBefore;
    private final Duration clockSkew;
    private final Clock clock;

    private KeyLifecycle(Builder b) {
        this.maxAge = b.maxAge;
        this.warnBefore = b.warnBefore;
        this.clockSkew = b.clockSkew;
        this.clock = b.clock;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The defaults (90 days, warn 14 days before, 60 s skew) on the system UTC clock. */
    public static KeyLifecycle defaults() {
        return builder().build();
    }

    public Clock clock() {
        return clock;
    }

    public Duration maxAge() {
        return maxAge;
    }

    /**
     * Judges a key now.
     *
     * @param expected  the environment this process runs in
     * @param expiresAt {@code null} when the key has no fixed expiry
     * @param retiredAt {@code null} unless a rotation has scheduled the key's retirement
     */
    public LifecycleVerdict evaluate(Environment expected, Environment keyEnvironment, Instant issuedAt,
                                     Instant expiresAt, Instant retiredAt) {
        Instant now = clock.instant();
        if (keyEnvironment != expected) {
            return LifecycleVerdict.rejected(LifecycleVerdict.WRONG_ENVIRONMENT);
        }
        if (issuedAt.isAfter(now.plus(clockSkew))) {
            return LifecycleVerdict.rejected(LifecycleVerdict.NOT_YET_VALID);
        }
        if (expiresAt != null && !now.isBefore(expiresAt.plus(clockSkew))) {
            return LifecycleVerdict.rejected(LifecycleVerdict.EXPIRED);
        }
        if (retiredAt != null && !now.isBefore(retiredAt)) {
            return LifecycleVerdict.rejected(LifecycleVerdict.ROTATED_OUT);
        }
        Instant rotateBy = issuedAt.plus(maxAge);
        if (!now.isBefore(rotateBy)) {
            return LifecycleVerdict.rejected(LifecycleVerdict.ROTATED_OUT);
        }
        Duration left = Duration.between(now, rotateBy);
        return new LifecycleVerdict(left.compareTo(warnBefore) <= 0
                ? LifecycleVerdict.Status.NEARING_ROTATION : LifecycleVerdict.Status.VALID, null, left);
    }

    @Override
    public String toString() {
        return "KeyLifecycle[maxAge=" + maxAge + ", warnBefore=" + warnBefore + ", clockSkew=" + clockSkew + "]";
    }

    /** Options; validated when set, cross-checked by {@link #build()}. */
    public static final class Builder {
        private Duration maxAge = Duration.ofDays(90);
        private Duration warnBefore = Duration.ofDays(14);
        private Duration clockSkew = Duration.ofSeconds(60);
        private Clock clock = Clock.systemUTC();

        private Builder() {
        }

        public Builder maxAge(Duration maxAge) {
            this.maxAge = positive(maxAge, "maxAge");
            return this;
        }

        public Builder warnBefore(Duration warnBefore) {
            this.warnBefore = nonNegative(warnBefore, "warnBefore");
            return this;
        }

        public Builder clockSkew(Duration clockSkew) {
            this.clockSkew = nonNegative(clockSkew, "clockSkew");
            if (clockSkew.compareTo(Duration.ofMinutes(15)) > 0) {
                throw new IllegalArgumentException("clockSkew above 15 minutes defeats expiry; was " + clockSkew);
            }
            return this;
        }

        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        public KeyLifecycle build() {
            if (warnBefore.compareTo(maxAge) >= 0) {
                throw new IllegalArgumentException("warnBefore (" + warnBefore + ") must be shorter than maxAge ("
                        + maxAge + ")");
            }
            return new KeyLifecycle(this);
        }

        private static Duration positive(Duration d, String name) {
            Objects.requireNonNull(d, name);
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException(name + " must be positive; was " + d);
            }
            return d;
        }

        private static Duration nonNegative(Duration d, String name) {
            Objects.requireNonNull(d, name);
            if (d.isNegative()) {
                throw new IllegalArgumentException(name + " must not be negative; was " + d);
            }
            return d;
        }
    }
}

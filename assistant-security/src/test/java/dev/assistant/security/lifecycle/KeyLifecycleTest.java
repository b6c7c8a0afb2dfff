package dev.assistant.security.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.assistant.api.security.Environment;
import dev.assistant.security.testing.MutableClock;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class KeyLifecycleTest {
    private static final Instant ISSUED = Instant.parse("2025-01-01T00:00:00Z");

    /** now = issue time + offset; default rules: 90 days max age, warning 14 days before, 60 s skew. */
    @ParameterizedTest(name = "{0}: env={1} offset={2} expiresAfter={3} retiredAfter={4} -> {5} {6}")
    @CsvSource(nullValues = "-", value = {
            "fresh key,                           PROD, PT0S,     -,       -,       VALID,            -",
            "75 days old,                         PROD, P75D,     -,       -,       VALID,            -",
            "76 days old warns,                   PROD, P76D,     -,       -,       NEARING_ROTATION, -",
            "just under 90 days,                  PROD, P89DT23H59M59S, -, -,       NEARING_ROTATION, -",
            "90 days old is rotated out,          PROD, P90D,     -,       -,       REJECTED,         key_rotated_out",
            "other environment,                   DEV,  PT0S,     -,       -,       REJECTED,         wrong_environment",
            "issued 30s in the future (skew),     PROD, -PT30S,   -,       -,       VALID,            -",
            "issued 2 min in the future,          PROD, -PT2M,    -,       -,       REJECTED,         key_not_yet_valid",
            "temporary key before expiry,         PROD, PT50M,    PT1H,    -,       VALID,            -",
            "temporary key within skew,           PROD, PT1H30S,  PT1H,    -,       VALID,            -",
            "temporary key past expiry plus skew, PROD, PT1H1M,   PT1H,    -,       REJECTED,         key_expired",
            "rotation overlap still running,      PROD, P10D,     -,       P11D,    VALID,            -",
            "rotation overlap over,               PROD, P11D,     -,       P11D,    REJECTED,         key_rotated_out",
    })
    void verdicts(String name, Environment keyEnv, Duration offset, Duration expiresAfter, Duration retiredAfter,
                  LifecycleVerdict.Status status, String reason) {
        MutableClock clock = new MutableClock(ISSUED.plus(offset));
        KeyLifecycle lifecycle = KeyLifecycle.builder().clock(clock).build();
        LifecycleVerdict verdict = lifecycle.evaluate(Environment.PROD, keyEnv, ISSUED,
                expiresAfter == null ? null : ISSUED.plus(expiresAfter),
                retiredAfter == null ? null : ISSUED.plus(retiredAfter));
        assertThat(verdict.status()).isEqualTo(status);
        assertThat(verdict.reason()).isEqualTo(reason);
    }

    @Test
    void skewAndMaxAgeAreConfigurable() {
        MutableClock clock = new MutableClock(ISSUED.plus(Duration.ofDays(31)));
        KeyLifecycle monthly = KeyLifecycle.builder().maxAge(Duration.ofDays(30)).warnBefore(Duration.ofDays(3))
                .clockSkew(Duration.ZERO).clock(clock).build();
        assertThat(monthly.evaluate(Environment.TEST, Environment.TEST, ISSUED, null, null).reason())
                .isEqualTo(LifecycleVerdict.ROTATED_OUT);
        clock.set(ISSUED.plus(Duration.ofDays(28)));
        LifecycleVerdict warning = monthly.evaluate(Environment.TEST, Environment.TEST, ISSUED, null, null);
        assertThat(warning.status()).isEqualTo(LifecycleVerdict.Status.NEARING_ROTATION);
        assertThat(warning.rotationDueIn()).contains(Duration.ofDays(2));
        clock.set(ISSUED.plusSeconds(3600));
        assertThat(monthly.evaluate(Environment.TEST, Environment.TEST, ISSUED, ISSUED.plusSeconds(3600), null)
                .reason()).isEqualTo(LifecycleVerdict.EXPIRED);
    }

    @Test
    void inconsistentOptionsFailAtConfigurationTime() {
        assertThatThrownBy(() -> KeyLifecycle.builder().maxAge(Duration.ofDays(10)).warnBefore(Duration.ofDays(10)).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("warnBefore");
        assertThatThrownBy(() -> KeyLifecycle.builder().clockSkew(Duration.ofHours(1)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> KeyLifecycle.builder().maxAge(Duration.ofDays(-1)))
                .isInstanceOf(IllegalArgumentException.class);
    }
}

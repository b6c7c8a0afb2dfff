package dev.assistant.security.redis;

import dev.assistant.api.security.Admission;
import dev.assistant.api.security.RateLimiter;
import static org.assertj.core.api.Assertions.assertThat;

import dev.assistant.api.AssistantException;
import dev.assistant.security.SecurityEvents;
import dev.assistant.security.ratelimit.FailureMode;
import dev.assistant.security.ratelimit.RateLimitConfig;
import dev.assistant.security.ratelimit.RatePlan;
import dev.assistant.api.security.Principal;
import dev.assistant.security.testing.ChildJvm;
import java.time.Duration;
import dev.assistant.api.security.Environment;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class RedisRateLimiterTest {
    private final AtomicInteger open = new AtomicInteger();
    private final AtomicInteger closed = new AtomicInteger();
    private final SecurityEvents events = new SecurityEvents() {
        @Override
        public void rateLimitBackendFailure(boolean failOpen) {
            (failOpen ? open : closed).incrementAndGet();
        }
    };

    private RateLimiter limiter(String uri, FailureMode mode) {
        return RedisRateLimiter.builder().uri(uri).events(events)
                .config(RateLimitConfig.builder().failureMode(mode).build())
                .commandTimeout(Duration.ofMillis(200)).reconnectBackoff(Duration.ofMillis(200)).build();
    }

    private static int admitted(RateLimiter limiter, Principal p, int attempts) {
        int n = 0;
        for (int i = 0; i < attempts; i++) {
            if (limiter.tryAcquire(p, "m").admitted()) {
                n++;
            }
        }
        return n;
    }

    @Test
    void twoLimitersOnOneRedisShareOneBudget() {
        try (RedisServer redis = RedisServer.start();
             RateLimiter a = limiter(redis.uri(), FailureMode.FAIL_CLOSED);
             RateLimiter b = limiter(redis.uri(), FailureMode.FAIL_CLOSED)) {
            Principal p = RedisRateLimiterTest.caller("shared-" + System.nanoTime());
            long start = System.nanoTime();
            int total = admitted(a, p, 8) + admitted(b, p, 8) + admitted(a, p, 8);
            double seconds = (System.nanoTime() - start) / 1e9;
            // Burst 10 plus whatever refilled at 10/s while the 24 calls ran.
            assertThat(total).isBetween(10, 10 + (int) Math.ceil(seconds * 10) + 1);
            assertThat(open.get() + closed.get()).isZero();
        }
    }

    @Test
    void whenRedisGoesDownTheConfiguredModeAppliesAndIsCountedNeverThrown() {
        RedisServer redis = RedisServer.start();
        try (RateLimiter failOpen = limiter(redis.uri(), FailureMode.FAIL_OPEN);
             RateLimiter failClosed = limiter(redis.uri(), FailureMode.FAIL_CLOSED)) {
            Principal p = RedisRateLimiterTest.caller("outage-" + System.nanoTime());
            assertThat(failOpen.tryAcquire(p, "m").admitted()).isTrue();
            assertThat(failClosed.tryAcquire(p, "m").admitted()).isTrue();
            redis.close();

            Admission degraded = failOpen.tryAcquire(p, "m");
            assertThat(degraded.admitted()).isTrue();
            assertThat(degraded.degraded()).isTrue();
            Admission refused = failClosed.tryAcquire(p, "m");
            assertThat(refused.admitted()).isFalse();
            assertThat(refused.limit()).isEqualTo(Admission.BACKEND_UNAVAILABLE);
            assertThat(refused.nanosToWait()).isEqualTo(1_000_000_000L);
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> failClosed.acquire(p, "m"))
                    .isInstanceOf(AssistantException.class).hasFieldOrPropertyWithValue("reason", "backend_unavailable");
            failOpen.chargeTokens(p, "m", 10); // no budget configured: nothing to charge, nothing thrown
            assertThat(open.get()).isEqualTo(1);
            assertThat(closed.get()).isEqualTo(2);
        } finally {
            redis.close();
        }
    }

    @Test
    void aLimiterStartedWhileRedisIsDownFailsPerModeWithoutThrowing() {
        String nowhere = "redis://127.0.0.1:" + RedisServer.freePort();
        try (RateLimiter failOpen = limiter(nowhere, FailureMode.FAIL_OPEN);
             RateLimiter failClosed = limiter(nowhere, FailureMode.FAIL_CLOSED)) {
            Principal p = RedisRateLimiterTest.caller("never");
            for (int i = 0; i < 3; i++) {
                assertThat(failOpen.tryAcquire(p, "m").admitted()).isTrue();
                assertThat(failClosed.tryAcquire(p, "m").admitted()).isFalse();
            }
            assertThat(open.get()).isEqualTo(3);
            assertThat(closed.get()).isEqualTo(3);
        }
    }

    @Test
    void twoJvmsHammeringOneKeyStayWithinTheLimit() {
        try (RedisServer redis = RedisServer.start()) {
            String key = "two-jvm-" + System.nanoTime();
            long startAt = System.currentTimeMillis() + 2_500; // time for both JVMs to start and connect
            long duration = 3_000;
            List<Process> children = List.of(
                    ChildJvm.start(RedisHammer.class, redis.uri(), key, String.valueOf(startAt), String.valueOf(duration)),
                    ChildJvm.start(RedisHammer.class, redis.uri(), key, String.valueOf(startAt), String.valueOf(duration)));
            long admitted = 0;
            long attempts = 0;
            long firstStart = Long.MAX_VALUE;
            long lastEnd = 0;
            for (Process child : children) {
                String[] out = ChildJvm.output(child, 40).trim().split("\\s+");
                assertThat(out).as("child output").hasSize(4);
                admitted += Long.parseLong(out[0]);
                attempts += Long.parseLong(out[1]);
                firstStart = Math.min(firstStart, Long.parseLong(out[2]));
                lastEnd = Math.max(lastEnd, Long.parseLong(out[3]));
                assertThat(Long.parseLong(out[0])).as("each JVM got some requests through").isPositive();
            }
            double window = (lastEnd - firstStart) / 1000.0;
            long ceiling = 10 + (long) Math.ceil(10 * window) + 2; // burst + rate x window + tolerance
            assertThat(attempts).as("the JVMs really hammered").isGreaterThan(10 * admitted);
            assertThat(admitted).isLessThanOrEqualTo(ceiling);
            assertThat(admitted).isGreaterThanOrEqualTo((long) (10 * window * 0.8));
        }
    }

    /** A caller with key id {@code keyId} (rate limits are kept per key id). */
    static Principal caller(String keyId) {
        return Principal.of(keyId, "svc", Environment.PROD, Set.of(), null);
    }
}

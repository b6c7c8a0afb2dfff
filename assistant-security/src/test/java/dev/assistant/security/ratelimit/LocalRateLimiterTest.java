package dev.assistant.security.ratelimit;

import dev.assistant.api.security.Admission;
import dev.assistant.api.security.RateLimiter;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;
import dev.assistant.api.security.Environment;
import dev.assistant.security.SecurityEvents;
import dev.assistant.api.security.Principal;
import dev.assistant.security.testing.MutableClock;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

class LocalRateLimiterTest {
    private final MutableClock clock = MutableClock.at("2025-01-01T00:00:00Z");
    private final List<String> refusals = new CopyOnWriteArrayList<>();
    private final SecurityEvents events = new SecurityEvents() {
        @Override
        public void rateLimited(String keyId, String model, String limit, long nanosToWait) {
            refusals.add(keyId + ":" + limit);
        }
    };

    static Principal caller(String keyId) {
        return Principal.of(keyId, "svc", Environment.PROD, Set.of(), null);
    }

    private int admitted(RateLimiter limiter, Principal p, String model, int attempts) {
        int n = 0;
        for (int i = 0; i < attempts; i++) {
            if (limiter.tryAcquire(p, model).admitted()) {
                n++;
            }
        }
        return n;
    }

    @Test
    void theDefaultHoldsEachKeyToTenPerSecondWithABurstOfTen() {
        RateLimiter limiter = LocalRateLimiter.create(RateLimitConfig.defaults(), events, clock);
        Principal a = caller("a");
        assertThat(admitted(limiter, a, "m", 25)).isEqualTo(10);
        Admission refused = limiter.tryAcquire(a, "m");
        assertThat(refused.admitted()).isFalse();
        assertThat(refused.limit()).isEqualTo(Admission.REQUESTS);
        assertThat(refused.nanosToWait()).isEqualTo(100_000_000L); // one request refills in 1/10 s
        clock.advance(Duration.ofMillis(100));
        assertThat(admitted(limiter, a, "m", 5)).isEqualTo(1);
        clock.advance(Duration.ofSeconds(1));
        assertThat(admitted(limiter, a, "m", 25)).isEqualTo(10);
        // Another key has its own bucket.
        assertThat(admitted(limiter, caller("b"), "m", 25)).isEqualTo(10);
    }

    @Test
    void overTenSecondsOfHammeringAKeyGetsBurstPlusRateTimesTime() {
        RateLimiter limiter = LocalRateLimiter.create(RateLimitConfig.defaults(), events, clock);
        int total = 0;
        for (int ms = 0; ms < 10_000; ms += 5) {
            total += admitted(limiter, caller("hammer"), "m", 3);
            clock.advance(Duration.ofMillis(5));
        }
        assertThat(total).isBetween(10 + 99, 10 + 100);
    }

    @Test
    void acquireThrowsRateLimitedWithRetryAfter() {
        RateLimiter limiter = LocalRateLimiter.create(RateLimitConfig.builder()
                .defaultPlan(RatePlan.perSecond(1)).build(), events, clock);
        limiter.acquire(caller("k"), "m");
        assertThatThrownBy(() -> limiter.acquire(caller("k"), "m"))
                .isInstanceOf(AssistantException.class)
                .hasFieldOrPropertyWithValue("code", ErrorCode.RATE_LIMITED)
                .hasFieldOrPropertyWithValue("reason", Admission.REQUESTS)
                .satisfies(e -> assertThat(((AssistantException) e).retryAfterNanos()).hasValue(1_000_000_000L))
                .hasMessageContaining("retry after 1001 ms");
        assertThat(refusals).containsExactly("k:requests");
    }

    @Test
    void perModelLimitsApplyOnTopAndDoNotWasteTheKeyBudget() {
        RateLimiter limiter = LocalRateLimiter.create(RateLimitConfig.builder()
                .defaultPlan(RatePlan.perSecond(10))
                .perModel(RatePlan.perSecond(3)).build(), events, clock);
        Principal p = caller("k");
        assertThat(admitted(limiter, p, "big-model", 10)).isEqualTo(3);
        assertThat(limiter.tryAcquire(p, "big-model").limit()).isEqualTo(Admission.MODEL_REQUESTS);
        // The refusals for big-model gave their key tokens back: 7 of the key's 10 remain for other models.
        assertThat(admitted(limiter, p, "small-model", 10)).isEqualTo(3);
        assertThat(admitted(limiter, p, "third-model", 10)).isEqualTo(3);
        assertThat(admitted(limiter, p, "fourth-model", 10)).isEqualTo(1);
        assertThat(limiter.tryAcquire(p, "fourth-model").limit()).isEqualTo(Admission.REQUESTS);
    }

    @Test
    void theTokenBudgetIsChargedWithUsedTokensAndBlocksWhenSpent() {
        RateLimiter limiter = LocalRateLimiter.create(RateLimitConfig.builder()
                .defaultPlan(RatePlan.perSecond(100).withTokensPerMinute(6_000)).build(), events, clock);
        Principal p = caller("k");
        limiter.acquire(p, "m");
        limiter.chargeTokens(p, "m", 5_000);
        limiter.acquire(p, "m");
        limiter.chargeTokens(p, "m", 2_000); // 1 000 tokens of debt
        Admission refused = limiter.tryAcquire(p, "m");
        assertThat(refused.limit()).isEqualTo(Admission.TOKENS);
        // 1 001 tokens at 100 per second: a little over 10 s.
        assertThat(refused.nanosToWait()).isBetween(10_000_000_000L, 10_020_000_000L);
        clock.advance(Duration.ofNanos(refused.nanosToWait()));
        assertThat(limiter.tryAcquire(p, "m").admitted()).isTrue();
    }

    @Test
    void perKeyPlansOverrideTheDefault() {
        RateLimiter limiter = LocalRateLimiter.create(RateLimitConfig.builder()
                .keyPlan("batch", new RatePlan(50, 100, 0)).build(), events, clock);
        assertThat(admitted(limiter, caller("batch"), "m", 200)).isEqualTo(100);
        assertThat(admitted(limiter, caller("other"), "m", 200)).isEqualTo(10);
        assertThatThrownBy(() -> RateLimitConfig.builder().keyPlan("x", RatePlan.DEFAULT).keyPlan("x", RatePlan.DEFAULT))
                .hasMessageContaining("two plans");
        assertThatThrownBy(() -> new RatePlan(0, 1, 0)).isInstanceOf(IllegalArgumentException.class);
    }
}

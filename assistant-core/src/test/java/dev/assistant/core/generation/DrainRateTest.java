package dev.assistant.core.generation;

import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

class DrainRateTest {
    private final AtomicLong now = new AtomicLong(1_000_000_000_000L);
    private final DrainRate rate = new DrainRate(now::get);

    private void advanceMillis(long millis) {
        now.addAndGet(TimeUnit.MILLISECONDS.toNanos(millis));
    }

    @Test
    void unknownRateSaysTheMinimum() {
        assertThat(rate.retryAfterNanos(10)).isEqualTo(DrainRate.MIN_NANOS);
        rate.completed();
        assertThat(rate.retryAfterNanos(10)).isEqualTo(DrainRate.MIN_NANOS);
    }

    @Test
    void waitIsTheQueueAheadAtTheRecentRate() {
        // one completion every 500 ms: two per second
        for (int i = 0; i < 11; i++) {
            rate.completed();
            advanceMillis(500);
        }
        // 9 waiting + the caller = 10 places at ~2 per second (11 completions over 5.5 s)
        assertThat(rate.retryAfterNanos(9)).isBetween(TimeUnit.MILLISECONDS.toNanos(4900), TimeUnit.MILLISECONDS.toNanos(5100));
        assertThat(rate.retryAfterNanos(0)).isEqualTo(DrainRate.MIN_NANOS);
        assertThat(rate.retryAfterNanos(100_000)).isEqualTo(DrainRate.MAX_NANOS);
    }

    @Test
    void staleCompletionsAreForgotten() {
        rate.completed();
        advanceMillis(10);
        rate.completed();
        advanceMillis(TimeUnit.NANOSECONDS.toMillis(DrainRate.WINDOW_NANOS) + 1000);
        assertThat(rate.retryAfterNanos(50)).isEqualTo(DrainRate.MIN_NANOS);
    }
}

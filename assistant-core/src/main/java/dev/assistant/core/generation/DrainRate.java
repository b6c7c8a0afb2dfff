package dev.assistant.core.generation;

import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * How fast requests leave the engine, measured over its last completions, to tell a refused caller when a place is
 * likely to be free ({@code Retry-After}): the time for the queue ahead of it to drain at the recent rate, at least
 * {@link #MIN_NANOS} (an immediate retry only adds load to a saturated server) and at most {@link #MAX_NANOS}.
 * With fewer than two recent completions the rate is unknown and the answer is the minimum. Thread-safe.
 */
public final class DrainRate {
    public static final long MIN_NANOS = TimeUnit.SECONDS.toNanos(1);
    public static final long MAX_NANOS = TimeUnit.SECONDS.toNanos(60);
    /** Completions older than this say nothing about the present rate. */
    static final long WINDOW_NANOS = TimeUnit.SECONDS.toNanos(60);
    private static final int SAMPLES = 32;

    private final LongSupplier nanoClock;
    private final long[] times = new long[SAMPLES];
    private int count;
    private int next;

    public DrainRate(LongSupplier nanoClock) {
        this.nanoClock = nanoClock;
    }

    /** A request left the engine (finished, failed or cancelled while running). */
    public synchronized void completed() {
        times[next] = nanoClock.getAsLong();
        next = (next + 1) % SAMPLES;
        count = Math.min(count + 1, SAMPLES);
    }

    /** How long a caller refused now should wait, with {@code waiting} requests ahead of it. */
    public synchronized long retryAfterNanos(int waiting) {
        long now = nanoClock.getAsLong();
        int recent = 0;
        long oldest = now;
        for (int i = 0; i < count; i++) {
            long t = times[(next - 1 - i + SAMPLES) % SAMPLES];
            if (now - t > WINDOW_NANOS) {
                break;
            }
            recent++;
            oldest = t;
        }
        if (recent < 2 || now == oldest) {
            return MIN_NANOS;
        }
        double perNano = recent / (double) (now - oldest);
        double wait = (Math.max(0, waiting) + 1) / perNano;
        return (long) Math.max(MIN_NANOS, Math.min(MAX_NANOS, wait));
    }
}

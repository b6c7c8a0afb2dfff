package dev.assistant.metrics;

import dev.assistant.api.metrics.Ticker;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/** A ticker moved by hand. */
public final class ManualTicker implements Ticker {
    private final AtomicLong now = new AtomicLong(1_000_000_000L);

    @Override
    public long read() {
        return now.get();
    }

    public ManualTicker advance(Duration d) {
        now.addAndGet(d.toNanos());
        return this;
    }

    public ManualTicker advanceNanos(long nanos) {
        now.addAndGet(nanos);
        return this;
    }
}

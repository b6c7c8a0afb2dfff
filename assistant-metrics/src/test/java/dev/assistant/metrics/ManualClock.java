package dev.assistant.metrics;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;

/** A wall clock moved by hand, optionally in step with a {@link ManualTicker}. */
public final class ManualClock implements InstantSource {
    private volatile Instant now;

    public ManualClock(Instant start) {
        this.now = start;
    }

    @Override
    public Instant instant() {
        return now;
    }

    public void advance(Duration d) {
        now = now.plus(d);
    }
}

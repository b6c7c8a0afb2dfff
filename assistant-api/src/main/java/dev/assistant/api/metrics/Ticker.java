package dev.assistant.api.metrics;

/**
 * A source of monotonic nanoseconds, injected wherever durations are measured so tests can move time by hand.
 *
 * <p>Only differences between two readings of the same ticker are meaningful (like {@link System#nanoTime()}).
 * Implementations must be thread-safe and cheap.
 */
@FunctionalInterface
public interface Ticker {
    /** The ticker backed by {@link System#nanoTime()}. */
    Ticker SYSTEM = System::nanoTime;

    /** The current reading, in nanoseconds. */
    long read();
}

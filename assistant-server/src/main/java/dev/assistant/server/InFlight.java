package dev.assistant.server;

import java.time.Duration;

/**
 * Counts API requests being served and refuses new ones once draining has begun, so shutdown can let the
 * in-flight requests finish while new ones get 503. Thread-safe.
 */
final class InFlight {
    private int count;
    private boolean draining;

    /** Registers a request; false when draining (the caller answers 503). */
    synchronized boolean tryEnter() {
        if (draining) {
            return false;
        }
        count++;
        return true;
    }

    synchronized void exit() {
        count--;
        if (count == 0) {
            notifyAll();
        }
    }

    synchronized int count() {
        return count;
    }

    synchronized boolean draining() {
        return draining;
    }

    /**
     * Refuses new requests from now on and waits up to {@code grace} for the in-flight ones.
     *
     * @return true when none is left
     */
    synchronized boolean drain(Duration grace) throws InterruptedException {
        draining = true;
        long deadline = System.nanoTime() + grace.toNanos();
        while (count > 0) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            long millis = Math.max(1, left / 1_000_000);
            wait(millis);
        }
        return true;
    }
}

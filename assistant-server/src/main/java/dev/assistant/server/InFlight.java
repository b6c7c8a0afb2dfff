package dev.assistant.server;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Counts API requests being served and refuses new ones once draining has begun, so shutdown can let the
 * in-flight requests finish while new ones get 503; when the grace is over, {@link #cut()} tells the requests still
 * running to end with a proper last answer. Thread-safe.
 */
final class InFlight {
    private final Set<Runnable> cutListeners = ConcurrentHashMap.newKeySet();
    private volatile boolean cut;
    private int count;
    private boolean draining;

    /**
     * Calls {@code onCut} (once, on the shutdown thread; it must only signal) if the server cuts the requests still
     * running; at once if it already has. Close the returned handle when the request ends.
     */
    AutoCloseable onCut(Runnable onCut) {
        cutListeners.add(onCut);
        if (cut && cutListeners.remove(onCut)) {
            onCut.run();
        }
        return () -> cutListeners.remove(onCut);
    }

    /** Signals every request still running that the server stops now. */
    void cut() {
        cut = true;
        for (Runnable listener : cutListeners) {
            if (cutListeners.remove(listener)) {
                listener.run();
            }
        }
    }

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

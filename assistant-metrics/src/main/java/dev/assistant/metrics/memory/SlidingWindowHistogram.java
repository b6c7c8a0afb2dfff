package dev.assistant.metrics.memory;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

import java.util.concurrent.locks.ReentrantLock;

/**
 * An HdrHistogram over a sliding time window made of {@code slots} rotating intervals of {@code slotNanos} each.
 *
 * <p>Writers record into one wait-free {@link Recorder}; when a writer or reader sees that the current slot's time
 * has passed, the recorder's interval is moved into the ring slot of the interval it was recorded in and slots
 * that fell out of the window are cleared. A snapshot therefore covers the current (partial) slot and the
 * {@code slots - 1} before it: between {@code (slots - 1) * slotNanos} and {@code slots * slotNanos} of history.
 *
 * <p>Writers never block: a writer that finds rotation due but the lock taken records anyway and lets the lock
 * holder rotate; a value recorded exactly at a slot boundary may be counted in the neighbouring slot. Values are
 * clamped into {@code [0, highestTrackable]} so recording never throws.
 */
final class SlidingWindowHistogram {
    private final long slotNanos;
    private final long origin;
    private final long highestTrackable;
    private final Recorder recorder;
    private final Histogram[] ring;
    private final ReentrantLock lock = new ReentrantLock();
    private Histogram spare;
    private volatile long currentEpoch;

    SlidingWindowHistogram(long originNanos, long slotNanos, int slots, long lowestDiscernible,
                           long highestTrackable, int significantDigits) {
        this.slotNanos = slotNanos;
        this.origin = originNanos;
        this.highestTrackable = highestTrackable;
        this.recorder = new Recorder(lowestDiscernible, highestTrackable, significantDigits);
        this.ring = new Histogram[slots];
        for (int i = 0; i < slots; i++) {
            ring[i] = new Histogram(lowestDiscernible, highestTrackable, significantDigits);
        }
    }

    /** Records {@code value} observed at ticker time {@code nowNanos}. Wait-free except at slot boundaries. */
    void record(long value, long nowNanos) {
        long epoch = epochOf(nowNanos);
        if (epoch > currentEpoch && lock.tryLock()) {
            try {
                rotateTo(epoch);
            } finally {
                lock.unlock();
            }
        }
        recorder.recordValue(value < 0 ? 0 : Math.min(value, highestTrackable));
    }

    /** Adds the window as of {@code nowNanos} into {@code target} (which must cover the same value range). */
    void addTo(Histogram target, long nowNanos) {
        lock.lock();
        try {
            rotateTo(epochOf(nowNanos));
            flushInto(ring[slotOf(currentEpoch)]);
            for (Histogram slot : ring) {
                target.add(slot);
            }
        } finally {
            lock.unlock();
        }
    }

    private long epochOf(long nowNanos) {
        return Math.floorDiv(nowNanos - origin, slotNanos);
    }

    private int slotOf(long epoch) {
        return (int) Math.floorMod(epoch, (long) ring.length);
    }

    // Caller holds the lock.
    private void rotateTo(long epoch) {
        long current = currentEpoch;
        if (epoch <= current) {
            return;
        }
        // Values recorded so far belong to the slot that was current while they were recorded.
        flushInto(ring[slotOf(current)]);
        long steps = Math.min(epoch - current, ring.length);
        for (long e = epoch - steps + 1; e <= epoch; e++) {
            ring[slotOf(e)].reset();
        }
        currentEpoch = epoch;
    }

    private void flushInto(Histogram slot) {
        spare = recorder.getIntervalHistogram(spare);
        slot.add(spare);
    }
}

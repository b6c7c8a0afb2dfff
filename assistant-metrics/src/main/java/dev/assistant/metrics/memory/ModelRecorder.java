package dev.assistant.metrics.memory;

import dev.assistant.api.ErrorCode;

import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;

/** Mutable recording state of one model inside {@link InMemoryMetrics}; histograms are created on first use. */
final class ModelRecorder {
    static final int SUCCESS_INDEX = 0;
    static final int OUTCOMES = 1 + ErrorCode.values().length;
    private static final ErrorCode[] CODES = ErrorCode.values();
    private static final int TTFT = OUTCOMES;
    private static final int TPOT = OUTCOMES + 1;
    private static final int QUEUE_WAIT = OUTCOMES + 2;

    final LongAdder started = new LongAdder();
    final LongAdder succeeded = new LongAdder();
    final AtomicLongArray failures = new AtomicLongArray(CODES.length);
    final LongAdder promptTokens = new LongAdder();
    final LongAdder completionTokens = new LongAdder();
    volatile long loadNanos = -1;
    volatile long weightBytes = -1;

    private final Supplier<SlidingWindowHistogram> factory;
    // Latency by outcome (index 0 success, 1 + ordinal per error code), then TTFT, TPOT, queue wait.
    private final AtomicReferenceArray<SlidingWindowHistogram> windows =
            new AtomicReferenceArray<>(OUTCOMES + 3);

    ModelRecorder(Supplier<SlidingWindowHistogram> factory) {
        this.factory = factory;
    }

    static int indexOf(ErrorCode code) {
        return 1 + code.ordinal();
    }

    static String outcomeName(int index) {
        return index == SUCCESS_INDEX ? ModelMetrics.SUCCESS : CODES[index - 1].name();
    }

    SlidingWindowHistogram latency(int outcomeIndex) {
        return window(outcomeIndex);
    }

    SlidingWindowHistogram latencyIfPresent(int outcomeIndex) {
        return windows.get(outcomeIndex);
    }

    SlidingWindowHistogram ttft() {
        return window(TTFT);
    }

    SlidingWindowHistogram tpot() {
        return window(TPOT);
    }

    SlidingWindowHistogram queueWait() {
        return window(QUEUE_WAIT);
    }

    SlidingWindowHistogram ttftIfPresent() {
        return windows.get(TTFT);
    }

    SlidingWindowHistogram tpotIfPresent() {
        return windows.get(TPOT);
    }

    SlidingWindowHistogram queueWaitIfPresent() {
        return windows.get(QUEUE_WAIT);
    }

    private SlidingWindowHistogram window(int index) {
        SlidingWindowHistogram w = windows.get(index);
        if (w != null) {
            return w;
        }
        // Two threads may both build one; the loser's is dropped before anything was recorded into it.
        SlidingWindowHistogram created = factory.get();
        return windows.compareAndSet(index, null, created) ? created : windows.get(index);
    }
}

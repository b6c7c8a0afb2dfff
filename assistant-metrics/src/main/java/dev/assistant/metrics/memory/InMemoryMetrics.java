package dev.assistant.metrics.memory;

import dev.assistant.api.ErrorCode;
import dev.assistant.api.metrics.MetricsListener;
import dev.assistant.api.metrics.RequestInfo;
import dev.assistant.api.metrics.Ticker;
import org.HdrHistogram.Histogram;

import java.time.Duration;
import java.time.InstantSource;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * The default {@link MetricsListener}: keeps counters and HdrHistogram percentiles over a sliding window per model
 * and per outcome in memory, and hands out immutable {@link MetricsSnapshot}s.
 *
 * <p>Recording is lock-free (a map lookup, a few {@code LongAdder} increments and wait-free histogram writes); a
 * snapshot costs time proportional to models x outcomes x histogram size and is meant to be taken every few
 * seconds, not per request. Memory: each (model, metric) series holds {@code slots + 2} histograms, allocated on
 * first use; with the defaults (2 significant digits, 1 µs to 1 h) a series is about 220 KB.
 */
public final class InMemoryMetrics implements MetricsListener {
    private static final long LOWEST_DISCERNIBLE_NANOS = 1_000;

    private final Ticker ticker;
    private final InstantSource wallClock;
    private final Duration window;
    private final long slotNanos;
    private final int slots;
    private final long highestTrackableNanos;
    private final int significantDigits;
    private final long origin;
    private final ConcurrentHashMap<String, ModelRecorder> models = new ConcurrentHashMap<>();
    private final Function<String, ModelRecorder> newModel = name -> new ModelRecorder(this::newWindow);
    private volatile int queueDepth = -1;

    private InMemoryMetrics(Builder b) {
        this.ticker = b.ticker == null ? Ticker.SYSTEM : b.ticker;
        this.wallClock = b.wallClock == null ? InstantSource.system() : b.wallClock;
        this.window = b.window == null ? Duration.ofMinutes(1) : b.window;
        this.slots = b.slots == 0 ? 6 : b.slots;
        this.slotNanos = window.toNanos() / slots;
        this.highestTrackableNanos = (b.highestTrackable == null ? Duration.ofHours(1) : b.highestTrackable).toNanos();
        this.significantDigits = b.significantDigits == 0 ? 2 : b.significantDigits;
        if (slotNanos < 1_000_000) {
            throw new IllegalArgumentException("window / slots must be at least 1 ms, was " + slotNanos + " ns");
        }
        this.origin = ticker.read();
    }

    /** An instance with the defaults: 1 minute window in 6 slots, 2 significant digits, system clocks. */
    public static InMemoryMetrics create() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    private SlidingWindowHistogram newWindow() {
        return new SlidingWindowHistogram(origin, slotNanos, slots, LOWEST_DISCERNIBLE_NANOS, highestTrackableNanos,
                significantDigits);
    }

    private Histogram newHistogram() {
        return new Histogram(LOWEST_DISCERNIBLE_NANOS, highestTrackableNanos, significantDigits);
    }

    private ModelRecorder model(String name) {
        ModelRecorder m = models.get(name);
        return m != null ? m : models.computeIfAbsent(name, newModel);
    }

    /** The ticker this instance reads; the facade should time calls with the same one. */
    public Ticker ticker() {
        return ticker;
    }

    /** The nominal window length. */
    public Duration window() {
        return window;
    }

    @Override
    public void requestStarted(RequestInfo request) {
        model(request.model()).started.increment();
    }

    @Override
    public void queueWait(RequestInfo request, long waitNanos) {
        model(request.model()).queueWait().record(waitNanos, ticker.read());
    }

    @Override
    public void queueDepth(int depth) {
        queueDepth = depth;
    }

    @Override
    public void firstToken(RequestInfo request, long ttftNanos) {
        model(request.model()).ttft().record(ttftNanos, ticker.read());
    }

    @Override
    public void requestSucceeded(RequestInfo request, long latencyNanos, int promptTokens, int completionTokens,
                                 long tpotNanos) {
        ModelRecorder m = model(request.model());
        long now = ticker.read();
        m.succeeded.increment();
        m.latency(ModelRecorder.SUCCESS_INDEX).record(latencyNanos, now);
        if (tpotNanos >= 0) {
            m.tpot().record(tpotNanos, now);
        }
        if (promptTokens > 0) {
            m.promptTokens.add(promptTokens);
        }
        if (completionTokens > 0) {
            m.completionTokens.add(completionTokens);
        }
    }

    @Override
    public void requestFailed(RequestInfo request, long latencyNanos, ErrorCode code, String reason) {
        ModelRecorder m = model(request.model());
        m.failures.incrementAndGet(code.ordinal());
        m.latency(ModelRecorder.indexOf(code)).record(latencyNanos, ticker.read());
    }

    @Override
    public void modelLoaded(String model, long loadNanos, long weightBytes) {
        ModelRecorder m = model(model);
        m.loadNanos = loadNanos;
        m.weightBytes = weightBytes;
    }

    @Override
    public void modelUnloaded(String model) {
        ModelRecorder m = models.get(model);
        if (m != null) {
            m.weightBytes = 0;
        }
    }

    /** The metrics as of now. Thread-safe; does not disturb concurrent recording. */
    public MetricsSnapshot snapshot() {
        long now = ticker.read();
        Map<String, ModelMetrics> perModel = new HashMap<>();
        Aggregate total = new Aggregate();
        models.forEach((name, recorder) -> perModel.put(name, summarise(name, recorder, now, total)));
        return new MetricsSnapshot(wallClock.instant(), window, queueDepth,
                total.toMetrics(), perModel);
    }

    private ModelMetrics summarise(String name, ModelRecorder r, long now, Aggregate total) {
        Map<String, Distribution> byOutcome = new HashMap<>();
        for (int i = 0; i < ModelRecorder.OUTCOMES; i++) {
            SlidingWindowHistogram w = r.latencyIfPresent(i);
            if (w != null) {
                Histogram h = collect(w, now);
                byOutcome.put(ModelRecorder.outcomeName(i), Distribution.of(h));
                total.latency[i] = merge(total.latency[i], h);
            }
        }
        Map<ErrorCode, Long> failures = new HashMap<>();
        for (ErrorCode code : ErrorCode.values()) {
            long n = r.failures.get(code.ordinal());
            if (n > 0) {
                failures.put(code, n);
                total.failures.merge(code, n, Long::sum);
            }
        }
        Histogram ttft = collect(r.ttftIfPresent(), now);
        Histogram tpot = collect(r.tpotIfPresent(), now);
        Histogram queueWait = collect(r.queueWaitIfPresent(), now);
        total.ttft = merge(total.ttft, ttft);
        total.tpot = merge(total.tpot, tpot);
        total.queueWait = merge(total.queueWait, queueWait);
        long started = r.started.sum();
        long succeeded = r.succeeded.sum();
        long failed = failures.values().stream().mapToLong(Long::longValue).sum();
        long prompt = r.promptTokens.sum();
        long completion = r.completionTokens.sum();
        long weights = r.weightBytes;
        total.started += started;
        total.succeeded += succeeded;
        total.promptTokens += prompt;
        total.completionTokens += completion;
        total.weightBytes += Math.max(weights, 0);
        total.anyWeights |= weights >= 0;
        return new ModelMetrics(name, started, succeeded, failures, Math.max(0, started - succeeded - failed),
                prompt, completion, byOutcome.getOrDefault(ModelMetrics.SUCCESS, Distribution.EMPTY), byOutcome,
                summarise(ttft), summarise(tpot), summarise(queueWait), r.loadNanos, weights);
    }

    private Histogram collect(SlidingWindowHistogram w, long now) {
        if (w == null) {
            return null;
        }
        Histogram h = newHistogram();
        w.addTo(h, now);
        return h;
    }

    private Histogram merge(Histogram into, Histogram h) {
        if (h == null) {
            return into;
        }
        if (into == null) {
            return h.copy();
        }
        into.add(h);
        return into;
    }

    private static Distribution summarise(Histogram h) {
        return h == null ? Distribution.EMPTY : Distribution.of(h);
    }

    /** Running sums for the all-models aggregate while a snapshot is built. */
    private static final class Aggregate {
        final Histogram[] latency = new Histogram[ModelRecorder.OUTCOMES];
        final Map<ErrorCode, Long> failures = new HashMap<>();
        Histogram ttft;
        Histogram tpot;
        Histogram queueWait;
        long started;
        long succeeded;
        long promptTokens;
        long completionTokens;
        long weightBytes;
        boolean anyWeights;

        ModelMetrics toMetrics() {
            Map<String, Distribution> byOutcome = new HashMap<>();
            for (int i = 0; i < latency.length; i++) {
                if (latency[i] != null) {
                    byOutcome.put(ModelRecorder.outcomeName(i), Distribution.of(latency[i]));
                }
            }
            long failed = failures.values().stream().mapToLong(Long::longValue).sum();
            return new ModelMetrics(MetricsSnapshot.ALL_MODELS, started, succeeded, failures,
                    Math.max(0, started - succeeded - failed), promptTokens, completionTokens,
                    byOutcome.getOrDefault(ModelMetrics.SUCCESS, Distribution.EMPTY), byOutcome, summarise(ttft),
                    summarise(tpot), summarise(queueWait), -1, anyWeights ? weightBytes : -1);
        }
    }

    /**
     * Configures an {@link InMemoryMetrics}. Each option may be set once; unset options take the documented
     * defaults.
     */
    public static final class Builder {
        private Ticker ticker;
        private InstantSource wallClock;
        private Duration window;
        private int slots;
        private Duration highestTrackable;
        private int significantDigits;

        private Builder() {
        }

        private static void requireUnset(Object current, String name) {
            if (current != null) {
                throw new IllegalStateException(name + " was already set");
            }
        }

        /** Monotonic time source (default {@link Ticker#SYSTEM}). */
        public Builder ticker(Ticker ticker) {
            requireUnset(this.ticker, "ticker");
            this.ticker = Objects.requireNonNull(ticker, "ticker");
            return this;
        }

        /** Wall clock for snapshot timestamps (default {@link InstantSource#system()}). */
        public Builder wallClock(InstantSource wallClock) {
            requireUnset(this.wallClock, "wallClock");
            this.wallClock = Objects.requireNonNull(wallClock, "wallClock");
            return this;
        }

        /**
         * Sliding window length and number of rotating slots (default 1 minute in 6 slots). Finer slots make
         * the window edge sharper and cost {@code slots} histograms per series.
         */
        public Builder window(Duration window, int slots) {
            requireUnset(this.window, "window");
            Objects.requireNonNull(window, "window");
            if (window.isNegative() || window.isZero()) {
                throw new IllegalArgumentException("window must be positive, was " + window);
            }
            if (slots < 2 || slots > 120) {
                throw new IllegalArgumentException("slots must be 2..120, was " + slots);
            }
            this.window = window;
            this.slots = slots;
            return this;
        }

        /** Largest duration tracked exactly; longer ones are recorded as this value (default 1 hour). */
        public Builder highestTrackable(Duration highest) {
            requireUnset(this.highestTrackable, "highestTrackable");
            Objects.requireNonNull(highest, "highest");
            if (highest.compareTo(Duration.ofMillis(1)) < 0) {
                throw new IllegalArgumentException("highestTrackable must be at least 1 ms, was " + highest);
            }
            this.highestTrackable = highest;
            return this;
        }

        /**
         * HdrHistogram precision: 2 (default) keeps percentiles within 1% at about 27 KB per histogram; 3 keeps
         * them within 0.1% at about 200 KB.
         */
        public Builder significantDigits(int digits) {
            if (this.significantDigits != 0) {
                throw new IllegalStateException("significantDigits was already set");
            }
            if (digits < 1 || digits > 3) {
                throw new IllegalArgumentException("significantDigits must be 1..3, was " + digits);
            }
            this.significantDigits = digits;
            return this;
        }

        public InMemoryMetrics build() {
            return new InMemoryMetrics(this);
        }
    }
}

package dev.assistant.metrics.memory;

import org.HdrHistogram.AbstractHistogram;

/**
 * Summary of recorded durations over a window, in nanoseconds. Percentiles are HdrHistogram values: within the
 * configured relative precision of the true value (1% with the default 2 significant digits).
 *
 * @param count number of values; when zero every other field is zero
 */
public record Distribution(long count, long min, long max, double mean, long p50, long p95, long p99, long p999) {
    /** No values. */
    public static final Distribution EMPTY = new Distribution(0, 0, 0, 0, 0, 0, 0, 0);

    /** Summarises {@code histogram}. */
    public static Distribution of(AbstractHistogram histogram) {
        long count = histogram.getTotalCount();
        if (count == 0) {
            return EMPTY;
        }
        return new Distribution(count, histogram.getMinValue(), histogram.getMaxValue(), histogram.getMean(),
                histogram.getValueAtPercentile(50), histogram.getValueAtPercentile(95),
                histogram.getValueAtPercentile(99), histogram.getValueAtPercentile(99.9));
    }

    /** Whether no value was recorded. */
    public boolean isEmpty() {
        return count == 0;
    }

    /** One of the recorded percentiles, in nanoseconds. */
    public long percentile(Percentile p) {
        return switch (p) {
            case P50 -> p50;
            case P95 -> p95;
            case P99 -> p99;
            case P999 -> p999;
        };
    }

    /** The percentiles a {@link Distribution} keeps. */
    public enum Percentile {
        P50("p50"), P95("p95"), P99("p99"), P999("p99.9");

        private final String label;

        Percentile(String label) {
            this.label = label;
        }

        /** A short label such as {@code p99.9}. */
        public String label() {
            return label;
        }
    }
}

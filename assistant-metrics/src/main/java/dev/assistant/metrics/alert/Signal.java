package dev.assistant.metrics.alert;

import dev.assistant.api.ErrorCode;
import dev.assistant.metrics.memory.Distribution;
import dev.assistant.metrics.memory.MetricsSnapshot;
import dev.assistant.metrics.memory.ModelMetrics;
import dev.assistant.metrics.system.SystemSample;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

/**
 * A measured quantity an {@link AlertRule} compares with its threshold. Signals are data (records), so rules can
 * be listed, printed and compared. {@link #read} returns {@code NaN} when the value is unknown: the source is
 * missing, the platform does not report it, or too few calls ended in the window to judge.
 */
public sealed interface Signal {
    /** The current value, or NaN when unknown. */
    double read(AlertInputs inputs);

    /** What is measured, for humans (for example "system CPU load"). */
    String describe();

    /** {@code value} in this signal's unit for humans (for example "91.0%" or "612 ms"). */
    String format(double value);

    /** Host CPU load, a fraction in [0, 1]. */
    record SystemCpu() implements Signal {
        @Override
        public double read(AlertInputs in) {
            return in.system() == null ? Double.NaN : in.system().systemCpuLoad();
        }

        @Override
        public String describe() {
            return "system CPU load";
        }

        @Override
        public String format(double value) {
            return percent(value);
        }
    }

    /** This JVM's CPU load, a fraction of all CPUs in [0, 1]. */
    record ProcessCpu() implements Signal {
        @Override
        public double read(AlertInputs in) {
            return in.system() == null ? Double.NaN : in.system().processCpuLoad();
        }

        @Override
        public String describe() {
            return "process CPU load";
        }

        @Override
        public String format(double value) {
            return percent(value);
        }
    }

    /** Host memory not available, a fraction of the total in [0, 1]. */
    record SystemMemoryUsed() implements Signal {
        @Override
        public double read(AlertInputs in) {
            return in.system() == null ? Double.NaN : in.system().systemMemoryUsedRatio();
        }

        @Override
        public String describe() {
            return "system memory used";
        }

        @Override
        public String format(double value) {
            return percent(value);
        }
    }

    /** JVM heap in use, a fraction of the heap limit in [0, 1]. */
    record HeapUsed() implements Signal {
        @Override
        public double read(AlertInputs in) {
            SystemSample s = in.system();
            return s == null ? Double.NaN : s.heapUsedRatio();
        }

        @Override
        public String describe() {
            return "JVM heap used";
        }

        @Override
        public String format(double value) {
            return percent(value);
        }
    }

    /**
     * Share of calls ended in the metrics window that failed with one of {@code codes}, in [0, 1]; unknown when
     * fewer than {@code minRequests} calls ended in the window.
     *
     * @param model       a model name, or {@link MetricsSnapshot#ALL_MODELS}
     * @param codes       which failures count as errors
     * @param minRequests smallest number of calls in the window that makes the rate meaningful
     */
    record ErrorRate(String model, Set<ErrorCode> codes, long minRequests) implements Signal {
        public ErrorRate {
            Objects.requireNonNull(model, "model");
            codes = codes.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(codes));
            if (codes.isEmpty()) {
                throw new IllegalArgumentException("codes must not be empty");
            }
            if (minRequests < 1) {
                throw new IllegalArgumentException("minRequests must be at least 1, was " + minRequests);
            }
        }

        /** Every code except {@link ErrorCode#CANCELLED} (the caller gave up; not the service's fault). */
        public static Set<ErrorCode> allButCancelled() {
            EnumSet<ErrorCode> codes = EnumSet.allOf(ErrorCode.class);
            codes.remove(ErrorCode.CANCELLED);
            return codes;
        }

        @Override
        public double read(AlertInputs in) {
            if (in.requests() == null) {
                return Double.NaN;
            }
            return in.requests().model(model)
                    .filter(m -> m.windowRequests() >= minRequests)
                    .map(m -> m.windowErrorRate(codes))
                    .orElse(Double.NaN);
        }

        @Override
        public String describe() {
            return "error rate of " + modelLabel(model);
        }

        @Override
        public String format(double value) {
            return percent(value);
        }
    }

    /**
     * A latency percentile of successful calls ended in the metrics window, in milliseconds; unknown when fewer
     * than {@code minRequests} successful calls ended in the window.
     *
     * @param model       a model name, or {@link MetricsSnapshot#ALL_MODELS}
     * @param percentile  which percentile
     * @param minRequests smallest number of successful calls that makes the percentile meaningful
     */
    record Latency(String model, Distribution.Percentile percentile, long minRequests) implements Signal {
        public Latency {
            Objects.requireNonNull(model, "model");
            Objects.requireNonNull(percentile, "percentile");
            if (minRequests < 1) {
                throw new IllegalArgumentException("minRequests must be at least 1, was " + minRequests);
            }
        }

        @Override
        public double read(AlertInputs in) {
            if (in.requests() == null) {
                return Double.NaN;
            }
            return in.requests().model(model)
                    .map(ModelMetrics::latency)
                    .filter(d -> d.count() >= minRequests)
                    .map(d -> d.percentile(percentile) / 1e6)
                    .orElse(Double.NaN);
        }

        @Override
        public String describe() {
            return percentile.label() + " latency of " + modelLabel(model);
        }

        @Override
        public String format(double value) {
            return String.format(Locale.ROOT, "%.0f ms", value);
        }
    }

    private static String modelLabel(String model) {
        return MetricsSnapshot.ALL_MODELS.equals(model) ? "all models" : "model " + model;
    }

    private static String percent(double ratio) {
        return String.format(Locale.ROOT, "%.1f%%", ratio * 100);
    }
}

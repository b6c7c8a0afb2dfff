package dev.assistant.metrics.micrometer;

import dev.assistant.metrics.system.SystemProbe;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

import java.time.Instant;
import java.util.Objects;

/**
 * Exposes the two host signals of the default alert rules as gauges, read from a {@link SystemProbe} at each
 * scrape, so Prometheus alerts on the very values the SDK's rules read: {@value #CPU}
 * ({@code assistant_system_cpu_load}, host CPU load in [0, 1]) and {@value #MEMORY}
 * ({@code assistant_system_memory_used_ratio}, 1 − MemAvailable/MemTotal). Unknown values are NaN.
 */
public final class SystemMetrics {
    /** Host CPU load, a fraction. */
    public static final String CPU = "assistant.system.cpu.load";
    /** Host memory not available, a fraction of the total. */
    public static final String MEMORY = "assistant.system.memory.used.ratio";

    private SystemMetrics() {
    }

    /** Registers both gauges on {@code registry}; they hold {@code probe} strongly (it is often only theirs). */
    public static void bindTo(MeterRegistry registry, SystemProbe probe) {
        Objects.requireNonNull(registry, "registry");
        Objects.requireNonNull(probe, "probe");
        Gauge.builder(CPU, probe, p -> p.sample(Instant.EPOCH).systemCpuLoad())
                .description("Host CPU load (0..1), as the high_cpu alert rule reads it.").strongReference(true)
                .register(registry);
        Gauge.builder(MEMORY, probe, p -> p.sample(Instant.EPOCH).systemMemoryUsedRatio())
                .description("Host memory used, 1 - MemAvailable/MemTotal (0..1), as the high_memory alert rule "
                        + "reads it.").strongReference(true).register(registry);
    }
}

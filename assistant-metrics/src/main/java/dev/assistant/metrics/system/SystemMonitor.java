package dev.assistant.metrics.system;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.InstantSource;
import java.util.Objects;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Samples a {@link SystemProbe} on a host-supplied scheduler and keeps the latest {@link SystemSample} for alert
 * rules, snapshots and gauges.
 *
 * <p>The monitor owns no thread: {@link #start} schedules on the given executor and the returned handle cancels.
 * A probe that throws yields an all-unknown sample (logged once) instead of stopping the schedule.
 */
public final class SystemMonitor {
    private static final Logger LOG = LoggerFactory.getLogger(SystemMonitor.class);

    private final SystemProbe probe;
    private final InstantSource clock;
    private final AtomicBoolean failureLogged = new AtomicBoolean();
    private volatile SystemSample latest;

    /**
     * @param probe what to read ({@link JvmSystemProbe} in production)
     * @param clock stamps samples
     */
    public SystemMonitor(SystemProbe probe, InstantSource clock) {
        this.probe = Objects.requireNonNull(probe, "probe");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.latest = SystemSample.unknown(clock.instant());
    }

    /** A monitor of this JVM and host with the system clock. */
    public static SystemMonitor ofJvm() {
        return new SystemMonitor(new JvmSystemProbe(), InstantSource.system());
    }

    /** Takes a sample now, stores it as {@link #latest()} and returns it. Never throws. */
    public SystemSample sampleNow() {
        SystemSample sample;
        try {
            sample = Objects.requireNonNull(probe.sample(clock.instant()), "probe returned null");
        } catch (RuntimeException e) {
            if (failureLogged.compareAndSet(false, true)) {
                LOG.warn("System probe {} failed; reporting unknown values", probe.getClass().getName(), e);
            }
            sample = SystemSample.unknown(clock.instant());
        }
        latest = sample;
        return sample;
    }

    /** The most recent sample; all-unknown before the first one. */
    public SystemSample latest() {
        return latest;
    }

    /**
     * Samples every {@code interval} on {@code scheduler}, starting now. CPU loads are averages over the time
     * between samples, so pick an interval of a few seconds. Cancel the returned future to stop.
     */
    public ScheduledFuture<?> start(ScheduledExecutorService scheduler, Duration interval) {
        Objects.requireNonNull(scheduler, "scheduler");
        if (interval.isNegative() || interval.isZero()) {
            throw new IllegalArgumentException("interval must be positive, was " + interval);
        }
        return scheduler.scheduleAtFixedRate(this::sampleNow, 0, interval.toNanos(), TimeUnit.NANOSECONDS);
    }
}

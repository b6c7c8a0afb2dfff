package dev.assistant.metrics.system;

import dev.assistant.metrics.ManualClock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

class SystemMonitorTest {
    private final ManualClock clock = new ManualClock(Instant.parse("2025-01-01T00:00:00Z"));

    @Test
    void readsHeapBuffersAndProcFromAPreparedDirectory(@TempDir Path proc) throws Exception {
        Files.createDirectories(proc.resolve("self"));
        Files.writeString(proc.resolve("self/status"), "Name:\tjava\nVmRSS:\t  204800 kB\nThreads:\t20\n");
        Files.writeString(proc.resolve("meminfo"),
                "MemTotal:       1000000 kB\nMemFree:          10000 kB\nMemAvailable:     50000 kB\n");
        SystemSample s = new SystemMonitor(new JvmSystemProbe(proc), clock).sampleNow();

        assertThat(s.at()).isEqualTo(clock.instant());
        assertThat(s.processResidentBytes()).isEqualTo(204800L * 1024);
        assertThat(s.systemMemoryTotal()).isEqualTo(1_000_000L * 1024);
        assertThat(s.systemMemoryAvailable()).isEqualTo(50_000L * 1024);
        assertThat(s.systemMemoryUsedRatio()).isEqualTo(0.95, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(s.heapUsed()).isPositive();
        assertThat(s.heapUsedRatio()).isBetween(0.0, 1.0);
        assertThat(s.directBufferBytes()).isGreaterThanOrEqualTo(0);
        assertThat(s.toText()).contains("rss=200MiB").contains("system_memory_used=95.0%");
    }

    @Test
    void withoutProcItFallsBackToTheOperatingSystemBeanOrUnknown(@TempDir Path emptyProc) {
        SystemSample s = new SystemMonitor(new JvmSystemProbe(emptyProc), clock).sampleNow();
        assertThat(s.processResidentBytes()).isEqualTo(-1);
        // The JDK bean reports total memory on every platform the JDK supports.
        assertThat(s.systemMemoryTotal()).isPositive();
        assertThat(s.toText()).contains("rss=unknown");
        double cpu = s.systemCpuLoad();
        assertThat(Double.isNaN(cpu) || (cpu >= 0 && cpu <= 1)).isTrue();
    }

    @Test
    void aProbeThatThrowsYieldsAnUnknownSampleInsteadOfAnException() {
        SystemMonitor monitor = new SystemMonitor(at -> {
            throw new IllegalStateException("no /proc here");
        }, clock);
        SystemSample s = monitor.sampleNow();
        assertThat(s.systemCpuLoad()).isNaN();
        assertThat(s.heapUsedRatio()).isNaN();
        assertThat(s.systemMemoryUsedRatio()).isNaN();
        assertThat(monitor.latest()).isSameAs(s);
        assertThat(s.toText()).contains("cpu process=unknown system=unknown");
    }

    @Test
    void samplesOnTheInjectedScheduler() throws Exception {
        CountDownLatch threeSamples = new CountDownLatch(3);
        SystemMonitor monitor = new SystemMonitor(at -> {
            threeSamples.countDown();
            return new SystemSample(at, 0.5, 0.6, 1, 2, 3, 4, 5, 6, 100, 40);
        }, clock);
        assertThat(monitor.latest().systemCpuLoad()).isNaN();
        ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
        try {
            ScheduledFuture<?> task = monitor.start(scheduler, Duration.ofMillis(1));
            assertThat(threeSamples.await(10, TimeUnit.SECONDS)).isTrue();
            task.cancel(false);
        } finally {
            scheduler.shutdownNow();
        }
        assertThat(monitor.latest().systemCpuLoad()).isEqualTo(0.6);
        assertThat(monitor.latest().systemMemoryUsedRatio()).isEqualTo(0.6, org.assertj.core.data.Offset.offset(1e-9));
    }
}

package dev.assistant.metrics.system;

import java.io.IOException;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.MemoryUsage;
import java.lang.management.OperatingSystemMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

/**
 * Reads the JVM's management beans and, on Linux, {@code /proc}: CPU loads from
 * {@code com.sun.management.OperatingSystemMXBean} (container-aware since JDK 14), heap/non-heap from
 * {@link MemoryMXBean}, direct/mapped buffers from {@link BufferPoolMXBean}, resident set from
 * {@code /proc/self/status} and available memory from {@code /proc/meminfo} ({@code MemAvailable}, because "free"
 * memory excludes the page cache that memory-mapped weights live in and would read as a false 100%).
 * Anything not readable on this platform is reported as unknown.
 */
public final class JvmSystemProbe implements SystemProbe {
    private final Path procRoot;
    private final OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
    private final MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    private final List<BufferPoolMXBean> pools = ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class);

    /** Reads {@code /proc}. */
    public JvmSystemProbe() {
        this(Path.of("/proc"));
    }

    /** Reads {@code procRoot} in place of {@code /proc} (a test can point it at a prepared directory). */
    public JvmSystemProbe(Path procRoot) {
        this.procRoot = procRoot;
    }

    @Override
    public SystemSample sample(Instant at) {
        double processCpu = Double.NaN;
        double systemCpu = Double.NaN;
        long osTotal = -1;
        long osFree = -1;
        if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
            processCpu = load(sun.getProcessCpuLoad());
            systemCpu = load(sun.getCpuLoad());
            osTotal = sun.getTotalMemorySize();
            osFree = sun.getFreeMemorySize();
        }
        MemoryUsage heap = memory.getHeapMemoryUsage();
        MemoryUsage nonHeap = memory.getNonHeapMemoryUsage();
        long direct = pool("direct");
        long mapped = pool("mapped");
        long rss = kibField(procRoot.resolve("self/status"), "VmRSS:");
        long memTotal = kibField(procRoot.resolve("meminfo"), "MemTotal:");
        long memAvailable = kibField(procRoot.resolve("meminfo"), "MemAvailable:");
        if (memTotal < 0 || memAvailable < 0) {
            memTotal = osTotal;
            memAvailable = osFree;
        }
        return new SystemSample(at, processCpu, systemCpu, heap.getUsed(), heap.getMax(), nonHeap.getUsed(),
                direct, mapped, rss, memTotal, memAvailable);
    }

    private static double load(double value) {
        // The beans return a negative value when the platform cannot tell.
        return value < 0 || Double.isNaN(value) ? Double.NaN : Math.min(1.0, value);
    }

    private long pool(String name) {
        for (BufferPoolMXBean pool : pools) {
            if (pool.getName().equals(name)) {
                return pool.getMemoryUsed();
            }
        }
        return -1;
    }

    /** The value in bytes of a {@code Name:   1234 kB} line, or -1. */
    static long kibField(Path file, String name) {
        if (!Files.isReadable(file)) {
            return -1;
        }
        try {
            for (String line : Files.readAllLines(file)) {
                if (line.startsWith(name)) {
                    String[] parts = line.substring(name.length()).trim().split("\\s+");
                    return Long.parseLong(parts[0]) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }
}

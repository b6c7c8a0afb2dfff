package dev.assistant.metrics.system;

import java.time.Instant;
import java.util.Objects;

/**
 * One reading of process and host resources. Anything the platform does not report is "unknown": {@code NaN} for
 * loads and ratios, {@code -1} for byte counts. Loads and ratios are fractions in {@code [0, 1]}.
 *
 * @param at                    when the sample was taken
 * @param processCpuLoad        this JVM's share of all CPUs over the last sampling period
 * @param systemCpuLoad         the whole host's CPU load over the last sampling period
 * @param heapUsed              heap in use
 * @param heapMax               heap limit ({@code -Xmx}), or -1 when undefined
 * @param nonHeapUsed           JVM non-heap memory in use (metaspace, code cache)
 * @param directBufferBytes     direct {@code ByteBuffer} memory in use
 * @param mappedBufferBytes     memory-mapped file buffers in use (for example model weights)
 * @param processResidentBytes  the process's resident set (heap, native and mapped pages)
 * @param systemMemoryTotal     host (or container) memory
 * @param systemMemoryAvailable memory available to new work without swapping (Linux {@code MemAvailable})
 */
public record SystemSample(Instant at, double processCpuLoad, double systemCpuLoad, long heapUsed, long heapMax,
                           long nonHeapUsed, long directBufferBytes, long mappedBufferBytes,
                           long processResidentBytes, long systemMemoryTotal, long systemMemoryAvailable) {
    public SystemSample {
        Objects.requireNonNull(at, "at");
    }

    /** A sample in which nothing is known, for example before the first reading. */
    public static SystemSample unknown(Instant at) {
        return new SystemSample(at, Double.NaN, Double.NaN, -1, -1, -1, -1, -1, -1, -1, -1);
    }

    /** Heap in use as a fraction of the heap limit, or NaN. */
    public double heapUsedRatio() {
        return heapUsed < 0 || heapMax <= 0 ? Double.NaN : (double) heapUsed / heapMax;
    }

    /** Host memory not available as a fraction of the total, or NaN. */
    public double systemMemoryUsedRatio() {
        return systemMemoryAvailable < 0 || systemMemoryTotal <= 0
                ? Double.NaN
                : 1.0 - (double) systemMemoryAvailable / systemMemoryTotal;
    }

    /** Human-readable one-line form ("unknown" for what the platform did not report). */
    public String toText() {
        return "cpu process=" + percent(processCpuLoad) + " system=" + percent(systemCpuLoad)
                + " heap=" + bytes(heapUsed) + "/" + bytes(heapMax) + " non_heap=" + bytes(nonHeapUsed)
                + " direct=" + bytes(directBufferBytes) + " mapped=" + bytes(mappedBufferBytes)
                + " rss=" + bytes(processResidentBytes) + " system_memory_used=" + percent(systemMemoryUsedRatio())
                + " of " + bytes(systemMemoryTotal);
    }

    private static String percent(double ratio) {
        return Double.isNaN(ratio) ? "unknown" : String.format(java.util.Locale.ROOT, "%.1f%%", ratio * 100);
    }

    private static String bytes(long n) {
        return n < 0 ? "unknown" : (n >> 20) + "MiB";
    }
}

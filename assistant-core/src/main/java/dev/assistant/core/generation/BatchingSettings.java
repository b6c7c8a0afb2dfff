package dev.assistant.core.generation;

import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;

/**
 * How a {@link BatchingEngine} shares the model between requests. Immutable; built with {@link #builder()}.
 *
 * @param maxBatch           requests generating at once (their decode steps share one forward pass)
 * @param queueCapacity      requests that may wait for a place in the batch; more are rejected with
 *                           {@code OVERLOADED} at once
 * @param memoryBudgetBytes  bytes that KV caches plus one step's activations may use together; a request that
 *                           cannot fit even alone fails with {@code RESOURCE_EXHAUSTED}
 * @param prefillChunkTokens prompt tokens evaluated per step (all prefilling requests together): longer prompts are
 *                           evaluated in chunks, so a long prompt delays the other requests' next token by one chunk
 * @param prefixCacheBytes   at most this many bytes of the budget keep finished requests' KV caches for later
 *                           requests that start with the same tokens (0 disables the prefix cache); running requests
 *                           take precedence: cached prefixes are evicted (least recently used first) when they need
 *                           the memory
 */
public record BatchingSettings(int maxBatch, int queueCapacity, long memoryBudgetBytes, int prefillChunkTokens,
                               long prefixCacheBytes) {

    /** Settings with the default prefix cache: a quarter of the memory budget. */
    public BatchingSettings(int maxBatch, int queueCapacity, long memoryBudgetBytes, int prefillChunkTokens) {
        this(maxBatch, queueCapacity, memoryBudgetBytes, prefillChunkTokens, memoryBudgetBytes / 4);
    }

    public BatchingSettings {
        if (maxBatch < 1 || maxBatch > 1024) {
            throw invalid("max batch (concurrency) must be 1 to 1024, was " + maxBatch);
        }
        if (queueCapacity < 0) {
            throw invalid("queue capacity must be >= 0, was " + queueCapacity);
        }
        if (memoryBudgetBytes < 1) {
            throw invalid("memory budget must be positive, was " + memoryBudgetBytes);
        }
        if (prefillChunkTokens < 1) {
            throw invalid("prefill chunk must be >= 1 token, was " + prefillChunkTokens);
        }
        if (prefixCacheBytes < 0 || prefixCacheBytes > memoryBudgetBytes) {
            throw invalid("prefix cache must be 0 (off) to the memory budget (" + memoryBudgetBytes + " bytes), was "
                    + prefixCacheBytes);
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    private static AssistantException invalid(String message) {
        return new AssistantException(ErrorCode.INVALID_REQUEST, message);
    }

    /**
     * The default batch: 16 requests, or 2 x cores where that is more. A decode step reads every weight once for all
     * the requests in it, so on the native engine 8 streams cost a step little more than 1 does (SmolLM shape, INT8,
     * 2 cores: see benchmarks/serving-scale.sh); a batch of 2 x cores (4 on such a machine) left half of 8 concurrent
     * streams waiting. The memory budget still bounds how many caches are open at once.
     */
    public static int defaultMaxBatch() {
        return Math.max(16, 2 * Runtime.getRuntime().availableProcessors());
    }

    /**
     * Defaults: batch {@link #defaultMaxBatch()}, queue 64, memory budget a quarter of physical memory, prefill chunks of 256, prefix
     * cache a quarter of the memory budget.
     */
    public static final class Builder {
        private int maxBatch = defaultMaxBatch();
        private int queueCapacity = 64;
        private long memoryBudgetBytes = defaultMemoryBudget();
        private int prefillChunkTokens = 256;
        private Long prefixCacheBytes;

        private Builder() {
        }

        public Builder maxBatch(int maxBatch) {
            this.maxBatch = maxBatch;
            return this;
        }

        public Builder queueCapacity(int queueCapacity) {
            this.queueCapacity = queueCapacity;
            return this;
        }

        public Builder memoryBudgetBytes(long bytes) {
            this.memoryBudgetBytes = bytes;
            return this;
        }

        public Builder prefillChunkTokens(int tokens) {
            this.prefillChunkTokens = tokens;
            return this;
        }

        /** Bytes of the memory budget the prefix cache may keep; 0 disables it. */
        public Builder prefixCacheBytes(long bytes) {
            this.prefixCacheBytes = bytes;
            return this;
        }

        public BatchingSettings build() {
            return new BatchingSettings(maxBatch, queueCapacity, memoryBudgetBytes, prefillChunkTokens,
                    prefixCacheBytes != null ? prefixCacheBytes : memoryBudgetBytes / 4);
        }
    }

    /** A quarter of the machine's physical memory (1 GiB if the JVM cannot tell). */
    static long defaultMemoryBudget() {
        java.lang.management.OperatingSystemMXBean os = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.OperatingSystemMXBean sun && sun.getTotalMemorySize() > 0) {
            return sun.getTotalMemorySize() / 4;
        }
        return 1L << 30;
    }
}

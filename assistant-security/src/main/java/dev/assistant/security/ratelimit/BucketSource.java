package dev.assistant.security.ratelimit;

import io.github.bucket4j.Bucket;
import io.github.bucket4j.BucketConfiguration;
import java.util.function.Supplier;

/**
 * Where buckets live: in this process, or in a shared store (an opt-in module such as assistant-security-redis
 * implements one and wraps it in a {@link BucketRateLimiter}). Thread-safe.
 */
public interface BucketSource extends AutoCloseable {
    /** The bucket named {@code key}, created with {@code configuration} if it does not exist yet. */
    Bucket bucket(String key, Supplier<BucketConfiguration> configuration);

    /** Whether failures of this source are outages of a remote backend (and so subject to the failure mode). */
    boolean remote();

    @Override
    default void close() {
    }
}

package dev.assistant.security.ratelimit;

import dev.assistant.api.security.RateLimiter;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.assistant.security.SecurityEvents;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.TimeMeter;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * In-process rate limits: Bucket4j local buckets, kept in a Caffeine cache and dropped after
 * {@link RateLimitConfig#idleExpiry()} without use (a dropped bucket is full again, which is what an idle key's
 * bucket would be anyway).
 */
public final class LocalRateLimiter {
    private LocalRateLimiter() {
    }

    /** A limiter on the system nano clock. */
    public static RateLimiter create(RateLimitConfig config, SecurityEvents events) {
        return create(config, events, TimeMeter.SYSTEM_NANOTIME);
    }

    /** A limiter on {@code time} (tests pass a fake clock). */
    public static RateLimiter create(RateLimitConfig config, SecurityEvents events, TimeMeter time) {
        return new BucketRateLimiter("local", new LocalBuckets(config, time), config, events);
    }

    private static final class LocalBuckets implements BucketSource {
        private final Cache<String, Bucket> buckets;
        private final TimeMeter time;

        LocalBuckets(RateLimitConfig config, TimeMeter time) {
            this.time = Objects.requireNonNull(time, "time");
            this.buckets = Caffeine.newBuilder()
                    .expireAfterAccess(config.idleExpiry())
                    .ticker(time::currentTimeNanos)
                    .executor(Runnable::run)
                    .build();
        }

        @Override
        public Bucket bucket(String key, Supplier<BucketConfiguration> configuration) {
            return buckets.get(key, k -> {
                var builder = Bucket.builder().withCustomTimePrecision(time);
                for (var bandwidth : configuration.get().getBandwidths()) {
                    builder.addLimit(bandwidth);
                }
                return builder.build();
            });
        }

        @Override
        public boolean remote() {
            return false;
        }
    }
}

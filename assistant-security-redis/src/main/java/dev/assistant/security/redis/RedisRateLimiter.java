package dev.assistant.security.redis;

import dev.assistant.api.security.RateLimiter;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.assistant.security.SecurityEvents;
import dev.assistant.security.ratelimit.BucketRateLimiter;
import dev.assistant.security.ratelimit.BucketSource;
import dev.assistant.security.ratelimit.RateLimitConfig;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.TimeMeter;
import io.github.bucket4j.distributed.ExpirationAfterWriteStrategy;
import io.github.bucket4j.distributed.proxy.ProxyManager;
import io.github.bucket4j.redis.lettuce.Bucket4jLettuce;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Rate limits shared by every instance that points at the same Redis: Bucket4j's compare-and-swap buckets over
 * Lettuce. Several JVMs together stay within one key's plan.
 *
 * <p>In the opt-in artifact {@code assistant-security-redis}; {@code rateLimits.backend: redis} in the security
 * configuration selects it through {@link RedisRateLimiterFactory}.
 *
 * <p>Outages: commands have a short time-out and are rejected at once while disconnected (no queueing), Lettuce
 * reconnects in the background, and a limiter that starts while Redis is down connects lazily (at most one attempt
 * per {@code reconnectBackoff}). Meanwhile every request gets the configured
 * {@link dev.assistant.security.ratelimit.FailureMode}; nothing is thrown.
 * Bucket time is each client's wall clock (Bucket4j's client-side clock), so instances need synchronised clocks.
 */
public final class RedisRateLimiter {
    private RedisRateLimiter() {
    }

    public static Builder builder() {
        return new Builder();
    }

    private static final class RedisBuckets implements BucketSource {
        private static final Logger LOG = LoggerFactory.getLogger(RedisBuckets.class);

        private final RedisClient client;
        private final String host;
        private final int port;
        private final String keyPrefix;
        private final TimeMeter clock;
        private final Duration idleExpiry;
        private final long reconnectBackoffNanos;
        private final Cache<String, Bucket> proxies;
        private final Object connectLock = new Object();
        private volatile ProxyManager<byte[]> manager;
        private volatile StatefulRedisConnection<byte[], byte[]> connection;
        private long nextAttemptNanos;

        RedisBuckets(Builder b, RateLimitConfig config) {
            this.client = RedisClient.create(b.uri);
            // Only host and port are ever logged: the URI may carry a password.
            this.host = b.uri.getHost();
            this.port = b.uri.getPort();
            this.client.setOptions(ClientOptions.builder()
                    .autoReconnect(true)
                    .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                    .timeoutOptions(TimeoutOptions.enabled(b.commandTimeout))
                    .socketOptions(SocketOptions.builder().connectTimeout(b.connectTimeout).build())
                    .build());
            this.keyPrefix = b.keyPrefix;
            this.clock = b.clock;
            this.idleExpiry = config.idleExpiry();
            this.reconnectBackoffNanos = b.reconnectBackoff.toNanos();
            this.proxies = Caffeine.newBuilder().maximumSize(100_000).expireAfterAccess(config.idleExpiry())
                    .executor(Runnable::run).build();
        }

        @Override
        public Bucket bucket(String key, Supplier<BucketConfiguration> configuration) {
            ProxyManager<byte[]> current = manager;
            if (current == null) {
                current = connect();
            }
            ProxyManager<byte[]> pm = current;
            return proxies.get(key, k -> pm.builder().build((keyPrefix + k).getBytes(StandardCharsets.UTF_8),
                    configuration));
        }

        private ProxyManager<byte[]> connect() {
            synchronized (connectLock) {
                if (manager != null) {
                    return manager;
                }
                long now = System.nanoTime();
                if (nextAttemptNanos != 0 && now - nextAttemptNanos < 0) {
                    throw new IllegalStateException("Redis unreachable; next connection attempt after back-off");
                }
                try {
                    StatefulRedisConnection<byte[], byte[]> conn = client.connect(ByteArrayCodec.INSTANCE);
                    var builder = Bucket4jLettuce.casBasedBuilder(conn)
                            .expirationAfterWrite(ExpirationAfterWriteStrategy
                                    .basedOnTimeForRefillingBucketUpToMax(idleExpiry));
                    if (clock != null) {
                        builder.clientClock(clock);
                    }
                    connection = conn;
                    manager = builder.build();
                    LOG.info("rate limits shared through Redis at {}:{}", host, port);
                    return manager;
                } catch (RuntimeException e) {
                    nextAttemptNanos = now + reconnectBackoffNanos;
                    LOG.warn("cannot connect to Redis for rate limits ({}); retrying after back-off",
                            e.getClass().getSimpleName());
                    throw e;
                }
            }
        }

        @Override
        public boolean remote() {
            return true;
        }

        @Override
        public void close() {
            StatefulRedisConnection<byte[], byte[]> conn = connection;
            if (conn != null) {
                conn.close();
            }
            client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        }
    }

    /** Options; {@code uri} is required. */
    public static final class Builder {
        private RedisURI uri;
        private RateLimitConfig config = RateLimitConfig.defaults();
        private SecurityEvents events = SecurityEvents.NONE;
        private Duration commandTimeout = Duration.ofMillis(250);
        private Duration connectTimeout = Duration.ofMillis(500);
        private Duration reconnectBackoff = Duration.ofSeconds(1);
        private String keyPrefix = "assistant:rl:";
        private TimeMeter clock;

        private Builder() {
        }

        /** E.g. {@code redis://127.0.0.1:6379}; a password belongs in the URI's user info, never in logs. */
        public Builder uri(String uri) {
            this.uri = RedisURI.create(Objects.requireNonNull(uri, "uri"));
            return this;
        }

        public Builder uri(RedisURI uri) {
            this.uri = Objects.requireNonNull(uri, "uri");
            return this;
        }

        public Builder config(RateLimitConfig config) {
            this.config = Objects.requireNonNull(config, "config");
            return this;
        }

        public Builder events(SecurityEvents events) {
            this.events = Objects.requireNonNull(events, "events");
            return this;
        }

        /** Bound on one Redis command; past it the failure mode applies. Default 250 ms. */
        public Builder commandTimeout(Duration timeout) {
            this.commandTimeout = positive(timeout, "commandTimeout");
            return this;
        }

        public Builder connectTimeout(Duration timeout) {
            this.connectTimeout = positive(timeout, "connectTimeout");
            return this;
        }

        /** Minimum time between connection attempts while Redis has never been reached. Default 1 s. */
        public Builder reconnectBackoff(Duration backoff) {
            this.reconnectBackoff = positive(backoff, "reconnectBackoff");
            return this;
        }

        /** Prefix of the Redis keys of the buckets. Default {@code assistant:rl:}. */
        public Builder keyPrefix(String prefix) {
            if (prefix == null || prefix.isEmpty()) {
                throw new IllegalArgumentException("keyPrefix must not be empty");
            }
            this.keyPrefix = prefix;
            return this;
        }

        /** The clock buckets are computed with (default: the wall clock in nanoseconds). */
        public Builder clock(TimeMeter clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /** Builds the limiter; does not connect yet (the first request does). */
        public RateLimiter build() {
            if (uri == null) {
                throw new IllegalStateException("uri is required");
            }
            return new BucketRateLimiter("redis", new RedisBuckets(this, config), config, events);
        }

        private static Duration positive(Duration d, String name) {
            Objects.requireNonNull(d, name);
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException(name + " must be positive; was " + d);
            }
            return d;
        }
    }
}

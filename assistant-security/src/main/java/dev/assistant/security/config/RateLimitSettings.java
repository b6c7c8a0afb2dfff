package dev.assistant.security.config;

import dev.assistant.security.ratelimit.FailureMode;
import dev.assistant.security.ratelimit.RateLimitConfig;
import dev.assistant.security.ratelimit.RatePlan;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * The {@code rateLimits} section of a security configuration: which backend and the {@link RateLimitConfig}.
 * Immutable. The Redis URI (which may carry a password) is never shown by {@link #toString()}.
 */
public final class RateLimitSettings {
    /** Where buckets live. */
    public enum Backend {
        /** In this process ({@link dev.assistant.security.ratelimit.LocalRateLimiter}). */
        LOCAL,
        /** Shared through Redis (the opt-in artifact assistant-security-redis). */
        REDIS;

        /** The name in the configuration file. */
        public String id() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    static final Set<String> FIELDS = Set.of("backend", "redis", "failureMode", "failClosedRetryAfter",
            "idleExpiry", "default", "keys", "perModel");
    private static final Set<String> REDIS_FIELDS = Set.of("uri", "uriEnv", "commandTimeout", "connectTimeout",
            "keyPrefix");
    private static final Set<String> PLAN_FIELDS = Set.of("requestsPerSecond", "burst", "tokensPerMinute");

    private final Backend backend;
    private final RateLimitConfig config;
    private final String redisUri;
    private final String redisUriEnv;
    private final Duration commandTimeout;
    private final Duration connectTimeout;
    private final String keyPrefix;
    private final String uriPath;

    private RateLimitSettings(Backend backend, RateLimitConfig config, String redisUri, String redisUriEnv,
                              Duration commandTimeout, Duration connectTimeout, String keyPrefix, String uriPath) {
        this.backend = backend;
        this.config = config;
        this.redisUri = redisUri;
        this.redisUriEnv = redisUriEnv;
        this.commandTimeout = commandTimeout;
        this.connectTimeout = connectTimeout;
        this.keyPrefix = keyPrefix;
        this.uriPath = uriPath;
    }

    /**
     * Parses the section; {@code knownKeyIds} are the key ids per-key plans may name.
     */
    static RateLimitSettings parse(JsonValue value, Set<String> knownKeyIds) {
        value.object(FIELDS);
        Backend backend = value.optional("backend").map(v -> {
            String text = v.text().toLowerCase(Locale.ROOT);
            return switch (text) {
                case "local" -> Backend.LOCAL;
                case "redis" -> Backend.REDIS;
                default -> throw v.fail("must be local or redis");
            };
        }).orElse(Backend.LOCAL);
        RateLimitConfig.Builder config = RateLimitConfig.builder();
        value.optional("default").ifPresent(v -> config.defaultPlan(plan(v)));
        value.optional("perModel").ifPresent(v -> config.perModel(plan(v)));
        value.optional("keys").ifPresent(keys -> keys.fields().forEach((keyId, v) -> {
            if (!knownKeyIds.contains(keyId)) {
                throw v.fail("no such key id among the configured keys");
            }
            config.keyPlan(keyId, plan(v));
        }));
        value.optional("failureMode").ifPresent(v -> config.failureMode(switch (v.text().toLowerCase(Locale.ROOT)) {
            case "fail_closed", "closed" -> FailureMode.FAIL_CLOSED;
            case "fail_open", "open" -> FailureMode.FAIL_OPEN;
            default -> throw v.fail("must be fail_closed or fail_open");
        }));
        value.optional("failClosedRetryAfter").ifPresent(v -> config.failClosedRetryAfter(v.duration()));
        value.optional("idleExpiry").ifPresent(v -> {
            Duration d = v.duration();
            if (d.compareTo(Duration.ofMinutes(1)) < 0) {
                throw v.fail("must be at least one minute (the token budget window)");
            }
            config.idleExpiry(d);
        });
        Optional<JsonValue> redis = value.optional("redis");
        if (backend == Backend.LOCAL) {
            if (redis.isPresent()) {
                throw redis.get().fail("only with backend redis");
            }
            return new RateLimitSettings(backend, config.build(), null, null, null, null, null, null);
        }
        JsonValue r = redis.orElseThrow(() -> value.child("redis").fail("is required with backend redis"))
                .object(REDIS_FIELDS);
        String uri = r.optional("uri").map(JsonValue::text).orElse(null);
        String uriEnv = r.optional("uriEnv").map(JsonValue::text).orElse(null);
        if ((uri == null) == (uriEnv == null)) {
            throw r.child("uri").fail("set exactly one of uri and uriEnv (uriEnv when the URI holds a password)");
        }
        if (uri != null) {
            checkUri(uri, r.child("uri"));
        }
        return new RateLimitSettings(backend, config.build(), uri, uriEnv,
                r.optional("commandTimeout").map(JsonValue::duration).orElse(null),
                r.optional("connectTimeout").map(JsonValue::duration).orElse(null),
                r.optional("keyPrefix").map(JsonValue::text).orElse(null),
                uri != null ? r.child("uri").path() : r.child("uriEnv").path());
    }

    private static RatePlan plan(JsonValue value) {
        value.object(PLAN_FIELDS);
        long rps = value.required("requestsPerSecond").integer(1, 1_000_000_000L);
        long burst = value.optional("burst").map(v -> v.integer(1, 1_000_000_000L)).orElse(rps);
        long tokens = value.optional("tokensPerMinute").map(v -> v.integer(0, Long.MAX_VALUE / 2)).orElse(0L);
        return new RatePlan(rps, burst, tokens);
    }

    private static void checkUri(String uri, JsonValue at) {
        if (!isRedisUri(uri)) {
            // The message never quotes the URI, which may hold a password.
            throw at.fail("must be a Redis URI such as redis://127.0.0.1:6379");
        }
    }

    /** A syntactically valid redis/rediss URI with a host (checked here so that reading needs no Redis client). */
    private static boolean isRedisUri(String uri) {
        try {
            java.net.URI parsed = new java.net.URI(uri);
            String scheme = parsed.getScheme();
            return ("redis".equals(scheme) || "rediss".equals(scheme)) && parsed.getHost() != null;
        } catch (java.net.URISyntaxException e) {
            return false;
        }
    }

    public Backend backend() {
        return backend;
    }

    public RateLimitConfig config() {
        return config;
    }

    /** The Redis URI: literal, or read from the configured variable through {@code env}. */
    String redisUri(Function<String, String> env, java.nio.file.Path file) {
        if (redisUri != null) {
            return redisUri;
        }
        String value = env.apply(redisUriEnv);
        if (value == null || value.isBlank()) {
            throw new SecurityConfigException(file, uriPath, "environment variable " + redisUriEnv + " is not set");
        }
        if (!isRedisUri(value)) {
            throw new SecurityConfigException(file, uriPath, "environment variable " + redisUriEnv
                    + " does not hold a Redis URI");
        }
        return value;
    }

    Optional<Duration> commandTimeout() {
        return Optional.ofNullable(commandTimeout);
    }

    Optional<Duration> connectTimeout() {
        return Optional.ofNullable(connectTimeout);
    }

    Optional<String> keyPrefix() {
        return Optional.ofNullable(keyPrefix);
    }

    @Override
    public String toString() {
        return "RateLimitSettings[" + backend.name().toLowerCase(Locale.ROOT) + ", " + config
                + (redisUriEnv == null ? "" : ", uriEnv=" + redisUriEnv) + "]";
    }
}

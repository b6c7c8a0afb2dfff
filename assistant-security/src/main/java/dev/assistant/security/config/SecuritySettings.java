package dev.assistant.security.config;

import dev.assistant.api.security.Environment;
import dev.assistant.security.SecurityEvents;
import dev.assistant.security.auth.ApiKeyAuthenticator;
import dev.assistant.security.auth.ApiKeyHasher;
import dev.assistant.api.security.Authenticator;
import dev.assistant.security.auth.InMemoryApiKeyStore;
import dev.assistant.security.auth.KeyPrincipal;
import dev.assistant.security.key.Credential;
import dev.assistant.security.key.KeyProvider;
import dev.assistant.security.key.KeyProviders;
import dev.assistant.security.key.KeyReference;
import dev.assistant.api.security.Authorizer;
import dev.assistant.security.policy.PolicyAuthorizer;
import dev.assistant.security.policy.PolicyRegistry;
import dev.assistant.security.ratelimit.LocalRateLimiter;
import dev.assistant.api.security.RateLimiter;
import dev.assistant.security.ratelimit.SharedRateLimiterFactory;
import dev.assistant.security.ratelimit.SharedRateLimiterSettings;
import dev.assistant.security.OptInBackends;
import java.util.ServiceLoader;
import io.github.bucket4j.TimeMeter;
import java.nio.file.Path;
import java.time.Clock;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;

/**
 * The security components a deployment configured in a JSON file (see the module README, "Configuration file"),
 * so a CLI or server sets up authentication, authorization and rate limits without code:
 *
 * <pre>
 * try (SecuritySettings security = SecuritySettings.load(Path.of("security.json"), System::getenv, Clock.systemUTC())) {
 *     AssistantBuilder builder = Assistant.builder().modelPath(modelDir);
 *     security.authenticator().ifPresent(builder::authenticator);
 *     security.authorizer().ifPresent(builder::authorizer);
 *     security.rateLimiter().ifPresent(builder::rateLimiter);
 *     builder.anonymousPrincipal(security.anonymousPrincipal());
 * }
 * </pre>
 *
 * <p>Loading validates the whole file first ({@link SecurityConfig}), then resolves the hashing pepper through the
 * configured key provider (which is closed again right away: only the HMAC key derived from the pepper is kept),
 * then builds the components. A step left out of the file is {@linkplain Optional#empty() absent}. Failures are
 * {@link SecurityConfigException} (file content, with the JSON path) or
 * {@link dev.assistant.security.key.KeyProviderException} (the pepper does not resolve); neither contains a secret.
 *
 * <p>Thread-safe; {@link #close()} releases the rate limiter's Redis connection (idempotent).
 */
public final class SecuritySettings implements AutoCloseable {
    private final SecurityConfig config;
    private final Authenticator authenticator;
    private final InMemoryApiKeyStore store;
    private final Authorizer authorizer;
    private final RateLimiter rateLimiter;
    private final KeyPrincipal anonymous;
    private final java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();

    private SecuritySettings(SecurityConfig config, Authenticator authenticator, InMemoryApiKeyStore store,
                             Authorizer authorizer, RateLimiter rateLimiter, KeyPrincipal anonymous) {
        this.config = config;
        this.authenticator = authenticator;
        this.store = store;
        this.authorizer = authorizer;
        this.rateLimiter = rateLimiter;
        this.anonymous = anonymous;
    }

    /** {@link #load(Path, Function, Clock, SecurityEvents)} without events. */
    public static SecuritySettings load(Path jsonFile, Function<String, String> env, Clock clock) {
        return load(jsonFile, env, clock, SecurityEvents.NONE);
    }

    /**
     * Reads {@code jsonFile} and builds the components it configures.
     *
     * @param env    the process environment (key provider PINs and secrets, the Redis URI variable)
     * @param clock  time for key lifecycles and rate-limit buckets
     * @param events the metrics hook of every component
     */
    public static SecuritySettings load(Path jsonFile, Function<String, String> env, Clock clock,
                                        SecurityEvents events) {
        return build(SecurityConfig.read(jsonFile), env, clock, events);
    }

    /** Builds the components of an already parsed configuration. */
    public static SecuritySettings build(SecurityConfig config, Function<String, String> env, Clock clock,
                                         SecurityEvents events) {
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(env, "env");
        Objects.requireNonNull(clock, "clock");
        Objects.requireNonNull(events, "events");
        PolicyRegistry registry = config.policies().orElse(PolicyRegistry.empty());
        Authenticator authenticator = null;
        InMemoryApiKeyStore store = null;
        if (config.keys().isPresent()) {
            store = new InMemoryApiKeyStore(config.keys().get());
            authenticator = ApiKeyAuthenticator.builder()
                    .hasher(hasher(config, env, clock, events))
                    .store(store)
                    .lifecycle(config.lifecycle(clock))
                    .environment(config.environment())
                    .policies(registry)
                    .events(events)
                    .build();
        }
        Authorizer authorizer = config.policies().isPresent() ? new PolicyAuthorizer(events) : null;
        KeyPrincipal anonymous = KeyPrincipal.anonymous(config.environment(),
                registry.resolve(config.anonymousPolicies(), List.of()));
        RateLimiter rateLimiter = config.rateLimits().map(r -> rateLimiter(r, config, env, clock, events)).orElse(null);
        return new SecuritySettings(config, authenticator, store, authorizer, rateLimiter, anonymous);
    }

    /** Resolves the pepper and keeps only the HMAC key made from it; the provider and credential are closed. */
    static ApiKeyHasher hasher(SecurityConfig config, Function<String, String> env, Clock clock,
                               SecurityEvents events) {
        KeyReference reference = config.pepper().orElseThrow(() -> new SecurityConfigException(
                config.file().orElse(null), "pepper", "is required to hash API keys"));
        try (KeyProvider provider = KeyProviders.create(config.keyProviderSettings(), env, clock, events);
             Credential pepper = provider.resolve(reference)) {
            try {
                return new ApiKeyHasher(pepper.secret());
            } catch (IllegalArgumentException e) {
                throw new SecurityConfigException(config.file().orElse(null), "pepper",
                        "the secret of key " + reference + " is shorter than 16 bytes");
            }
        }
    }

    private static RateLimiter rateLimiter(RateLimitSettings settings, SecurityConfig config,
                                           Function<String, String> env, Clock clock, SecurityEvents events) {
        boolean systemClock = clock.withZone(ZoneOffset.UTC).equals(Clock.systemUTC());
        // Bucket time comes from the injected clock; the system clock maps to Bucket4j's defaults (monotonic nano
        // time locally, the wall clock for Redis, which all instances must share).
        TimeMeter time = systemClock ? null : new ClockTimeMeter(clock);
        if (settings.backend() == RateLimitSettings.Backend.LOCAL) {
            return time == null ? LocalRateLimiter.create(settings.config(), events)
                    : LocalRateLimiter.create(settings.config(), events, time);
        }
        String backend = settings.backend().id();
        SharedRateLimiterFactory factory = sharedFactory(backend).orElseThrow(() -> new SecurityConfigException(
                config.file().orElse(null), "rateLimits.backend",
                OptInBackends.missing("backend " + backend, OptInBackends.rateLimitArtifact(backend))));
        return factory.create(new SharedRateLimiterSettings(settings.redisUri(env, config.file().orElse(null)),
                settings.config(), events, settings.commandTimeout().orElse(null),
                settings.connectTimeout().orElse(null), settings.keyPrefix().orElse(null), time));
    }

    private static Optional<SharedRateLimiterFactory> sharedFactory(String backend) {
        for (SharedRateLimiterFactory f : ServiceLoader.load(SharedRateLimiterFactory.class,
                SecuritySettings.class.getClassLoader())) {
            if (f.backend().equals(backend)) {
                return Optional.of(f);
            }
        }
        return Optional.empty();
    }

    /** The authentication step, when API keys are configured. */
    public Optional<Authenticator> authenticator() {
        return Optional.ofNullable(authenticator);
    }

    /** The store behind the authenticator (for rotation and revocation at run time), when keys are configured. */
    public Optional<InMemoryApiKeyStore> keyStore() {
        return Optional.ofNullable(store);
    }

    /** The authorization step, when policies are configured. */
    public Optional<Authorizer> authorizer() {
        return Optional.ofNullable(authorizer);
    }

    /** The rate-limit step, when rate limits are configured. */
    public Optional<RateLimiter> rateLimiter() {
        return Optional.ofNullable(rateLimiter);
    }

    /** The principal calls run as without API keys, governed by the {@code anonymous.policies}. */
    public KeyPrincipal anonymousPrincipal() {
        return anonymous;
    }

    public Environment environment() {
        return config.environment();
    }

    /** The validated configuration the components were built from. */
    public SecurityConfig config() {
        return config;
    }

    /** Closes the rate limiter (its Redis connection). Idempotent. */
    @Override
    public void close() {
        if (rateLimiter != null && closed.compareAndSet(false, true)) {
            rateLimiter.close();
        }
    }

    @Override
    public String toString() {
        return "SecuritySettings[" + config + "]";
    }

    /** Bucket4j time on an injected {@link Clock}. */
    private record ClockTimeMeter(Clock clock) implements TimeMeter {
        @Override
        public long currentTimeNanos() {
            java.time.Instant now = clock.instant();
            return now.getEpochSecond() * 1_000_000_000L + now.getNano();
        }

        @Override
        public boolean isWallClockBased() {
            return true;
        }
    }
}

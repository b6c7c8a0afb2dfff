package dev.assistant.security.auth;

import dev.assistant.api.security.Authenticator;
import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;
import dev.assistant.api.security.Environment;
import dev.assistant.security.SecurityEvents;
import dev.assistant.security.lifecycle.KeyLifecycle;
import dev.assistant.security.lifecycle.LifecycleVerdict;
import dev.assistant.security.policy.PolicyRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Authenticates callers by API key: keyed hash of the presented key, constant-time lookup in the store, then the
 * lifecycle rules (environment, expiry with skew, rotation). See {@link Authenticator} for the contract.
 *
 * <p>Keys nearing their maximum age are accepted; the event fires on every such call, the log warning at most
 * once per key per {@code warnLogInterval} (default one hour) so logs are not flooded.
 */
public final class ApiKeyAuthenticator implements Authenticator {
    private static final Logger LOG = LoggerFactory.getLogger(ApiKeyAuthenticator.class);

    private final ApiKeyHasher hasher;
    private final ApiKeyStore store;
    private final KeyLifecycle lifecycle;
    private final Environment environment;
    private final PolicyRegistry policies;
    private final SecurityEvents events;
    private final Duration warnLogInterval;
    private final ConcurrentMap<String, Instant> lastWarned = new ConcurrentHashMap<>();

    private ApiKeyAuthenticator(Builder b) {
        this.hasher = b.hasher;
        this.store = b.store;
        this.lifecycle = b.lifecycle;
        this.environment = b.environment;
        this.policies = b.policies;
        this.events = SecurityEvents.safe(b.events);
        this.warnLogInterval = b.warnLogInterval;
    }

    public static Builder builder() {
        return new Builder();
    }

    @Override
    public KeyPrincipal authenticate(char[] presentedKey) {
        if (presentedKey == null || presentedKey.length == 0) {
            throw fail(MISSING_KEY, "no API key was presented");
        }
        byte[] hash = hasher.hash(presentedKey);
        ApiKeyRecord record = store.findByHash(hash).orElse(null);
        if (record == null) {
            throw fail(UNKNOWN_KEY, "the API key is not recognised");
        }
        LifecycleVerdict verdict = lifecycle.evaluate(environment, record.environment(), record.issuedAt(),
                record.expiresAt().orElse(null), record.retiredAt().orElse(null));
        if (!verdict.accepted()) {
            throw fail(verdict.reason(), "API key " + record.keyId() + " rejected: " + verdict.reason()
                    + describe(verdict.reason()));
        }
        if (verdict.status() == LifecycleVerdict.Status.NEARING_ROTATION) {
            warnRotation(record.keyId(), verdict.rotationDue());
        }
        events.authenticated(record.keyId());
        return new KeyPrincipal(record.keyId(), record.principal(), record.environment(), record.groups(),
                policies.resolve(record.policies(), record.groups()), verdict.rotationDue());
    }

    private String describe(String reason) {
        return switch (reason) {
            case LifecycleVerdict.WRONG_ENVIRONMENT -> " (issued for another environment than " + environment.id() + ")";
            case LifecycleVerdict.EXPIRED -> " (temporary key past its expiry)";
            case LifecycleVerdict.ROTATED_OUT -> " (retired by rotation or older than " + lifecycle.maxAge().toDays()
                    + " days; use the new key)";
            case LifecycleVerdict.NOT_YET_VALID -> " (issue time is in the future)";
            default -> "";
        };
    }

    private void warnRotation(String keyId, Duration remaining) {
        events.keyNearingRotation(keyId, remaining);
        Instant now = lifecycle.clock().instant();
        Instant last = lastWarned.get(keyId);
        if (last == null || !now.isBefore(last.plus(warnLogInterval))) {
            lastWarned.put(keyId, now);
            LOG.warn("API key {} must be rotated within {} (maximum age {} days)", keyId, remaining,
                    lifecycle.maxAge().toDays());
        }
    }

    private AssistantException fail(String reason, String message) {
        events.authenticationFailed(reason);
        LOG.debug("authentication failed: {}", reason);
        return new AssistantException(ErrorCode.UNAUTHENTICATED, message, reason, null, -1);
    }

    /** Options; {@code hasher}, {@code store} and {@code environment} are required. */
    public static final class Builder {
        private ApiKeyHasher hasher;
        private ApiKeyStore store;
        private KeyLifecycle lifecycle = KeyLifecycle.defaults();
        private Environment environment;
        private PolicyRegistry policies = PolicyRegistry.empty();
        private SecurityEvents events = SecurityEvents.NONE;
        private Duration warnLogInterval = Duration.ofHours(1);

        private Builder() {
        }

        public Builder hasher(ApiKeyHasher hasher) {
            this.hasher = Objects.requireNonNull(hasher, "hasher");
            return this;
        }

        public Builder store(ApiKeyStore store) {
            this.store = Objects.requireNonNull(store, "store");
            return this;
        }

        public Builder lifecycle(KeyLifecycle lifecycle) {
            this.lifecycle = Objects.requireNonNull(lifecycle, "lifecycle");
            return this;
        }

        /** The environment this process runs in; keys of other environments are rejected. */
        public Builder environment(Environment environment) {
            this.environment = Objects.requireNonNull(environment, "environment");
            return this;
        }

        public Builder policies(PolicyRegistry policies) {
            this.policies = Objects.requireNonNull(policies, "policies");
            return this;
        }

        public Builder events(SecurityEvents events) {
            this.events = Objects.requireNonNull(events, "events");
            return this;
        }

        public Builder warnLogInterval(Duration interval) {
            if (interval == null || interval.isNegative()) {
                throw new IllegalArgumentException("warnLogInterval must be >= 0");
            }
            this.warnLogInterval = interval;
            return this;
        }

        public ApiKeyAuthenticator build() {
            if (hasher == null || store == null || environment == null) {
                throw new IllegalStateException("hasher, store and environment are required");
            }
            return new ApiKeyAuthenticator(this);
        }
    }
}

package dev.assistant.api.security;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Who is calling, as established by an {@link Authenticator}: key id, caller name, environment and groups. Never
 * holds the key itself.
 *
 * <p>An interface rather than a record so that an authenticator can return a principal that carries what its own
 * authorizer needs (the security module's key principal carries the caller's resolved policies) while the API,
 * and everything that only routes a principal (the request steps, rate limiters, metrics), knows nothing of
 * policy documents. Implementations are immutable and their {@code toString()} contains no secret.
 */
public interface Principal {
    /** The key id and name of the {@linkplain #anonymous anonymous} caller. */
    String ANONYMOUS = "anonymous";

    /** The id of the presented API key; rate limits are kept per key id. Never the key. */
    String keyId();

    /** The caller (service or user) the key belongs to. */
    String name();

    /** The environment the key was issued for. */
    Environment environment();

    /** The caller's groups (immutable). */
    Set<String> groups();

    /** Time left until the key must be rotated, when known. */
    Optional<Duration> rotationDueIn();

    /** A plain principal, for authenticators written by a host. */
    static Principal of(String keyId, String name, Environment environment, Set<String> groups, Duration rotationDue) {
        return new BasicPrincipal(keyId, name, environment, groups, rotationDue);
    }

    /** The caller of a deployment without API keys (an embedded single-user app). */
    static Principal anonymous(Environment environment) {
        return of(ANONYMOUS, ANONYMOUS, environment, Set.of(), null);
    }

    /** The principal {@link #of} returns. */
    record BasicPrincipal(String keyId, String name, Environment environment, Set<String> groups,
                          Duration rotationDue) implements Principal {
        public BasicPrincipal {
            Objects.requireNonNull(keyId, "keyId");
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(environment, "environment");
            groups = Set.copyOf(groups);
        }

        @Override
        public Optional<Duration> rotationDueIn() {
            return Optional.ofNullable(rotationDue);
        }

        @Override
        public String toString() {
            return "Principal[" + keyId + ", " + name + "@" + environment.id() + ", groups=" + groups + "]";
        }
    }
}

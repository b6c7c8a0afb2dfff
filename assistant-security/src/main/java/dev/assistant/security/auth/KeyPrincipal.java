package dev.assistant.security.auth;

import dev.assistant.api.security.Environment;
import dev.assistant.api.security.Principal;
import dev.assistant.security.policy.Policy;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * The principal of an API key, as {@link ApiKeyAuthenticator} establishes it: the API's {@link Principal} plus the
 * policies attached to the key and its groups, which {@link dev.assistant.security.policy.PolicyAuthorizer} reads.
 * The policies live here, not in the API, so that the API knows nothing of policy documents. Immutable.
 *
 * @param keyId       the id of the presented API key (rate limits are kept per key id)
 * @param name        the caller (service or user) the key belongs to
 * @param environment the environment the key was issued for
 * @param groups      the key's groups
 * @param policies    the policies that govern this caller, key-attached first
 * @param rotationDue time left until the key must be rotated, or {@code null} when unknown (anonymous)
 */
public record KeyPrincipal(String keyId, String name, Environment environment, Set<String> groups,
                           List<Policy> policies, Duration rotationDue) implements Principal {

    public KeyPrincipal {
        Objects.requireNonNull(keyId, "keyId");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(environment, "environment");
        groups = Set.copyOf(groups);
        policies = List.copyOf(policies);
    }

    /**
     * The caller of a deployment without API keys (an embedded single-user app), governed by {@code policies}.
     */
    public static KeyPrincipal anonymous(Environment environment, List<Policy> policies) {
        return new KeyPrincipal(ANONYMOUS, ANONYMOUS, environment, Set.of(), policies, null);
    }

    @Override
    public Optional<Duration> rotationDueIn() {
        return Optional.ofNullable(rotationDue);
    }

    @Override
    public String toString() {
        return "Principal[" + keyId + ", " + name + "@" + environment.id() + ", groups=" + groups + ", policies="
                + policies.stream().map(Policy::name).toList() + "]";
    }
}

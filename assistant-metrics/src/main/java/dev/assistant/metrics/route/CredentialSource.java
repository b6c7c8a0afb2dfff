package dev.assistant.metrics.route;

import dev.assistant.api.Secret;

/**
 * Where channels get their secrets (SMTP password, SMS provider key secret, WeCom robot key): a key id in, a fresh
 * {@link Secret} out, owned and wiped by the caller. Hosts adapt their key provider, for example
 * <pre>{@code
 * KeyProvider keys = KeyProviders.create(settings, System::getenv, Clock.systemUTC(), SecurityEvents.NONE);
 * CredentialSource credentials = keyId -> {
 *     try (Credential c = keys.resolve(KeyReference.of(keyId, Environment.PROD))) {
 *         return Secret.adopt(c.secret().bytes());
 *     }
 * };
 * }</pre>
 * Implementations throw an unchecked exception naming only the key id when it cannot be resolved.
 */
@FunctionalInterface
public interface CredentialSource {
    /** The secret stored under {@code keyId}; the caller closes it. */
    Secret secret(String keyId);
}

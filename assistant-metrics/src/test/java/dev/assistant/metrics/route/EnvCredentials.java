package dev.assistant.metrics.route;

import dev.assistant.api.Secret;
import dev.assistant.api.security.Environment;
import dev.assistant.security.key.Credential;
import dev.assistant.security.key.EnvKeyProvider;
import dev.assistant.security.key.KeyReference;

import java.util.HashMap;
import java.util.Map;

/**
 * Channel credentials from the real {@code env} key provider over a map of variables (so tests need not touch the
 * process environment): {@code ASSISTANT_KEY_TEST_<KEY>} plus its {@code _ISSUED_AT}.
 */
public final class EnvCredentials implements CredentialSource {
    private final Map<String, String> variables = new HashMap<>();
    private final EnvKeyProvider provider = EnvKeyProvider.of(EnvKeyProvider.DEFAULT_PREFIX, variables::get);

    /** Stores {@code secret} under {@code keyId} in the TEST environment. */
    public EnvCredentials put(String keyId, String secret) {
        String name = provider.variableName(KeyReference.of(keyId, Environment.TEST));
        variables.put(name, secret);
        variables.put(name + "_ISSUED_AT", "2026-01-01T00:00:00Z");
        return this;
    }

    @Override
    public Secret secret(String keyId) {
        try (Credential c = provider.resolve(KeyReference.of(keyId, Environment.TEST))) {
            return Secret.adopt(c.secret().bytes());
        }
    }
}

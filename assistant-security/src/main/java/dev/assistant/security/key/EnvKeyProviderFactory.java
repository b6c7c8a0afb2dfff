package dev.assistant.security.key;

import java.util.Map;
import java.util.function.Function;

/** Factory of {@link EnvKeyProvider} ({@code provider=env}, the default). */
public final class EnvKeyProviderFactory implements KeyProviderFactory {
    @Override
    public String name() {
        return "env";
    }

    @Override
    public boolean cachedByDefault() {
        return false;
    }

    @Override
    public KeyProvider create(Map<String, String> settings, Function<String, String> variables) {
        try {
            return EnvKeyProvider.of(settings.getOrDefault("env.prefix", EnvKeyProvider.DEFAULT_PREFIX), variables);
        } catch (IllegalArgumentException e) {
            throw new KeyProviderException(KeyProviderException.Failure.CONFIGURATION, "setting 'env.prefix': "
                    + e.getMessage());
        }
    }
}

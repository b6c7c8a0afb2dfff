package dev.assistant.security.key;

import java.util.Map;
import java.util.function.Function;

/**
 * Makes a {@link KeyProvider} from settings (SPI, found with {@link java.util.ServiceLoader}; register an
 * implementation in {@code META-INF/services/dev.assistant.security.key.KeyProviderFactory}). Built in:
 * {@code env}, {@code pkcs11}; {@code kms} comes with the opt-in artifact {@code assistant-security-kms}. See {@link KeyProviders} for the settings.
 */
public interface KeyProviderFactory {
    /** The value of the {@code provider} setting that selects this factory. */
    String name();

    /** Whether resolves are slow enough (HSM, network) that a cache belongs in front by default. */
    boolean cachedByDefault();

    /**
     * Creates the provider.
     *
     * @param settings  flat settings (see {@link KeyProviders})
     * @param variables the process environment (PINs and credentials are read from variables named in settings)
     * @throws KeyProviderException {@code CONFIGURATION} naming the missing or invalid setting
     */
    KeyProvider create(Map<String, String> settings, Function<String, String> variables);
}

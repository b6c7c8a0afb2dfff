package dev.assistant.security.key.hsm;

import dev.assistant.security.key.KeyProvider;
import dev.assistant.security.key.KeyProviderException;
import dev.assistant.security.key.KeyProviderFactory;
import dev.assistant.security.key.KeyProviders;
import dev.assistant.security.key.SealedSecretSource;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Map;
import java.util.function.Function;

/** Factory of {@link Pkcs11KeyProvider} ({@code provider=pkcs11}); see {@link KeyProviders} for settings. */
public final class Pkcs11KeyProviderFactory implements KeyProviderFactory {
    public static final String DEFAULT_PIN_ENV = "ASSISTANT_PKCS11_PIN";

    @Override
    public String name() {
        return "pkcs11";
    }

    @Override
    public boolean cachedByDefault() {
        return true;
    }

    @Override
    public KeyProvider create(Map<String, String> settings, Function<String, String> variables) {
        return new Pkcs11KeyProvider(Pkcs11Hsm.open(config(settings, variables)),
                SealedSecretSource.directory(Path.of(KeyProviders.required(settings, "sealed.dir"))),
                new SecureRandom());
    }

    /** The HSM configuration the settings describe (also used by the CLI's encrypt command). */
    public static Pkcs11Config config(Map<String, String> settings, Function<String, String> variables) {
        Pkcs11Config.Builder builder = Pkcs11Config.builder()
                .keyLabel(KeyProviders.required(settings, "pkcs11.keyLabel"));
        String library = settings.get("pkcs11.library");
        if (library != null && !library.isBlank()) {
            builder.library(Path.of(library.trim()));
        }
        if (settings.containsKey("pkcs11.slot")) {
            builder.slot(KeyProviders.integer(settings, "pkcs11.slot", 0));
        } else {
            builder.slotListIndex(KeyProviders.integer(settings, "pkcs11.slotListIndex", 0));
        }
        String pinEnv = settings.getOrDefault("pkcs11.pinEnv", DEFAULT_PIN_ENV);
        String pin = variables.apply(pinEnv);
        if (pin == null || pin.isEmpty()) {
            throw new KeyProviderException(KeyProviderException.Failure.CONFIGURATION,
                    "environment variable " + pinEnv + " (the PKCS#11 user PIN) is not set");
        }
        char[] chars = pin.toCharArray();
        try {
            return builder.pin(chars).build();
        } finally {
            Arrays.fill(chars, '\0');
        }
    }
}

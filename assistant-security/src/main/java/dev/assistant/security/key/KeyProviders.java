package dev.assistant.security.key;

import dev.assistant.security.OptInBackends;
import dev.assistant.security.SecurityEvents;
import java.time.Clock;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Map;
import java.util.Objects;
import java.util.ServiceLoader;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * Selects and builds the configured key provider.
 *
 * <p>Settings (flat keys; unknown keys are ignored by this class but may be read by a factory):
 * <pre>
 * provider             env (default) | pkcs11 | kms (artifact assistant-security-kms) | any KeyProviderFactory name
 * cache.ttl            ISO-8601 duration; default PT5M for pkcs11 and kms, none for env; "none" disables
 * cache.refreshAfter   ISO-8601 duration; default half the TTL
 * env.prefix           variable prefix for the env provider (default ASSISTANT_KEY)
 * sealed.dir           directory of sealed secrets (&lt;dir&gt;/&lt;env&gt;/&lt;keyId&gt;.json) for pkcs11 and kms
 * pkcs11.library       PKCS#11 module (default /usr/lib/softhsm/libsofthsm2.so)
 * pkcs11.slotListIndex / pkcs11.slot   token selection (default slotListIndex 0)
 * pkcs11.keyLabel      label of the AES key-encryption key
 * pkcs11.pinEnv        environment variable holding the user PIN (default ASSISTANT_PKCS11_PIN)
 * kms.endpoint         endpoint override (URL); kms.region (default us-east-1); kms.maxAttempts (default 3)
 * kms.callTimeout      ISO-8601 duration (default PT5S)
 * </pre>
 */
public final class KeyProviders {
    private KeyProviders() {
    }

    /** Builds the provider the settings select, wrapped in a {@link CachingKeyProvider} where configured. */
    public static KeyProvider create(Map<String, String> settings, Function<String, String> variables, Clock clock,
                                     SecurityEvents events) {
        Objects.requireNonNull(settings, "settings");
        String name = settings.getOrDefault("provider", "env").trim();
        KeyProviderFactory factory = factory(name);
        KeyProvider provider = factory.create(settings, variables);
        String ttlSetting = settings.get("cache.ttl");
        if ("none".equalsIgnoreCase(ttlSetting) || (ttlSetting == null && !factory.cachedByDefault())) {
            return provider;
        }
        Duration ttl = ttlSetting == null ? Duration.ofMinutes(5) : duration(settings, "cache.ttl");
        CachingKeyProvider.Builder cache = CachingKeyProvider.builder(provider).ttl(ttl).clock(clock).events(events);
        if (settings.containsKey("cache.refreshAfter")) {
            cache.refreshAfter(duration(settings, "cache.refreshAfter"));
        }
        return cache.build();
    }

    /** The factory called {@code name}, from the built-ins and the service loader. */
    public static KeyProviderFactory factory(String name) {
        Map<String, KeyProviderFactory> found = new TreeMap<>();
        for (KeyProviderFactory f : ServiceLoader.load(KeyProviderFactory.class, KeyProviders.class.getClassLoader())) {
            found.putIfAbsent(f.name(), f);
        }
        KeyProviderFactory factory = found.get(name);
        if (factory == null) {
            String artifact = OptInBackends.keyProviderArtifact(name);
            throw new KeyProviderException(KeyProviderException.Failure.CONFIGURATION, artifact != null
                    ? OptInBackends.missing("key provider '" + name + "'", artifact)
                    : "unknown key provider '" + name + "'; available: " + found.keySet());
        }
        return factory;
    }

    /** A required setting, or a {@code CONFIGURATION} failure naming it. */
    public static String required(Map<String, String> settings, String key) {
        String value = settings.get(key);
        if (value == null || value.isBlank()) {
            throw new KeyProviderException(KeyProviderException.Failure.CONFIGURATION,
                    "setting '" + key + "' is required for key provider '" + settings.getOrDefault("provider", "env") + "'");
        }
        return value.trim();
    }

    /** An ISO-8601 duration setting. */
    public static Duration duration(Map<String, String> settings, String key) {
        String value = required(settings, key);
        try {
            Duration d = Duration.parse(value);
            if (d.isNegative() || d.isZero()) {
                throw new DateTimeParseException("not positive", value, 0);
            }
            return d;
        } catch (DateTimeParseException e) {
            throw new KeyProviderException(KeyProviderException.Failure.CONFIGURATION,
                    "setting '" + key + "' must be a positive ISO-8601 duration such as PT5M; was '" + value + "'");
        }
    }

    /** An integer setting with a default. */
    public static int integer(Map<String, String> settings, String key, int defaultValue) {
        String value = settings.get(key);
        if (value == null || value.isBlank()) {
            return defaultValue;
        }
        try {
            return Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            throw new KeyProviderException(KeyProviderException.Failure.CONFIGURATION,
                    "setting '" + key + "' must be an integer; was '" + value + "'");
        }
    }
}

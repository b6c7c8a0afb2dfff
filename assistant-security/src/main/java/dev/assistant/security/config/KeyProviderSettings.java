package dev.assistant.security.config;

import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Validates the {@code keyProvider} object of a security configuration and turns it into the flat settings
 * {@link dev.assistant.security.key.KeyProviders#create} takes. Field names are exactly those settings
 * ({@code "provider"}, {@code "sealed.dir"}, {@code "pkcs11.keyLabel"}...).
 *
 * <p>Strict: a setting of a built-in provider other than the selected one (e.g. {@code pkcs11.keyLabel} with
 * {@code provider=env}) or an unknown setting is rejected. A provider registered by a host (any other name
 * {@code X}) may take any {@code X.*} setting. A relative {@code sealed.dir} is resolved against the directory of
 * the configuration file.
 */
final class KeyProviderSettings {
    private static final Set<String> COMMON = Set.of("provider", "cache.ttl", "cache.refreshAfter");
    private static final Map<String, Set<String>> BUILT_IN = Map.of(
            "env", Set.of("env.prefix"),
            "pkcs11", Set.of("sealed.dir", "pkcs11.library", "pkcs11.slotListIndex", "pkcs11.slot",
                    "pkcs11.keyLabel", "pkcs11.pinEnv"),
            "kms", Set.of("sealed.dir", "kms.endpoint", "kms.region", "kms.maxAttempts", "kms.callTimeout"));
    private static final Map<String, Set<String>> REQUIRED = Map.of(
            "pkcs11", Set.of("sealed.dir", "pkcs11.keyLabel"),
            "kms", Set.of("sealed.dir"));
    private static final Set<String> INTEGERS = Set.of("pkcs11.slotListIndex", "pkcs11.slot", "kms.maxAttempts");
    private static final Set<String> DURATIONS = Set.of("cache.ttl", "cache.refreshAfter", "kms.callTimeout");

    private KeyProviderSettings() {
    }

    /** The flat settings; {@code value} absent means the default provider ({@code env}) with its defaults. */
    static Map<String, String> parse(JsonValue value, Path baseDir) {
        Map<String, JsonValue> fields = value.fields();
        String provider = value.optional("provider").map(JsonValue::text).orElse("env").trim();
        Set<String> own = BUILT_IN.get(provider);
        Map<String, String> settings = new TreeMap<>();
        settings.put("provider", provider);
        for (Map.Entry<String, JsonValue> field : fields.entrySet()) {
            String name = field.getKey();
            JsonValue v = field.getValue();
            if (name.equals("provider")) {
                continue;
            }
            boolean allowed = COMMON.contains(name) || (own != null ? own.contains(name)
                    : name.equals("sealed.dir") || name.startsWith(provider + "."));
            if (!allowed) {
                String owner = BUILT_IN.entrySet().stream().filter(e -> e.getValue().contains(name))
                        .map(Map.Entry::getKey).sorted().findFirst().orElse(null);
                throw v.fail(owner == null ? "unknown key provider setting"
                        : "is a setting of provider " + owner + ", but the provider is " + provider);
            }
            settings.put(name, scalar(name, v, baseDir));
        }
        if (settings.containsKey("pkcs11.slot") && settings.containsKey("pkcs11.slotListIndex")) {
            throw value.child("pkcs11.slot").fail("set either pkcs11.slot or pkcs11.slotListIndex, not both");
        }
        for (String required : REQUIRED.getOrDefault(provider, Set.of())) {
            if (!settings.containsKey(required)) {
                throw value.child(required).fail("is required for provider " + provider);
            }
        }
        return Map.copyOf(settings);
    }

    private static String scalar(String name, JsonValue v, Path baseDir) {
        if (INTEGERS.contains(name)) {
            return Long.toString(v.integer(0, Integer.MAX_VALUE));
        }
        if (name.equals("cache.ttl") && v.isText() && v.text().equalsIgnoreCase("none")) {
            return "none";
        }
        if (DURATIONS.contains(name)) {
            return v.duration().toString();
        }
        if (name.equals("sealed.dir")) {
            return baseDir.resolve(v.text()).normalize().toString();
        }
        if (!v.isText()) {
            throw v.fail("must be a string");
        }
        return v.text();
    }
}

package dev.assistant.security.config;

import dev.assistant.api.security.Environment;
import dev.assistant.security.auth.ApiKeyRecord;
import dev.assistant.security.key.KeyReference;
import dev.assistant.security.lifecycle.KeyLifecycle;
import dev.assistant.security.policy.InvalidPolicyException;
import dev.assistant.security.policy.PolicyRegistry;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A parsed and validated security configuration file: what the deployment asks for, with no resources opened and
 * no secret resolved (so {@code assistant keys check} can inspect a configuration whose keys do not resolve).
 * {@link SecuritySettings#load} builds the components from it. Immutable; the format is described in the module
 * README ("Configuration file").
 *
 * <p>Validation is strict: unknown fields, wrong types, dangling policy names, per-key plans for unknown keys and
 * contradictory sections fail with a {@link SecurityConfigException} naming the JSON path.
 */
public final class SecurityConfig {
    static final Set<String> FIELDS = Set.of("version", "environment", "keyProvider", "pepper", "lifecycle", "keys",
            "keysFile", "policies", "groups", "anonymous", "rateLimits");
    private static final Set<String> PEPPER_FIELDS = Set.of("keyId", "environment");
    private static final Set<String> LIFECYCLE_FIELDS = Set.of("maxAge", "warnBefore", "clockSkew");
    private static final Set<String> ANONYMOUS_FIELDS = Set.of("policies");
    private static final Pattern POLICY_NAME = Pattern.compile("[A-Za-z0-9._-]{1,64}");

    private final Path file;
    private final Environment environment;
    private final Map<String, String> keyProviderSettings;
    private final KeyReference pepper;
    private final Duration maxAge;
    private final Duration warnBefore;
    private final Duration clockSkew;
    private final List<ApiKeyRecord> keys;
    private final PolicyRegistry policies;
    private final List<String> anonymousPolicies;
    private final RateLimitSettings rateLimits;

    private SecurityConfig(Builder b) {
        this.file = b.file;
        this.environment = b.environment;
        this.keyProviderSettings = b.keyProviderSettings;
        this.pepper = b.pepper;
        this.maxAge = b.maxAge;
        this.warnBefore = b.warnBefore;
        this.clockSkew = b.clockSkew;
        this.keys = b.keys;
        this.policies = b.policies;
        this.anonymousPolicies = b.anonymousPolicies;
        this.rateLimits = b.rateLimits;
    }

    /** Reads and validates {@code file}; relative paths in it are resolved against its directory. */
    public static SecurityConfig read(Path file) {
        Objects.requireNonNull(file, "file");
        Path absolute = file.toAbsolutePath();
        return parse(JsonValue.read(absolute), absolute.getParent());
    }

    /** Validates an inline document; relative paths are resolved against {@code baseDir}. */
    public static SecurityConfig parse(String json, Path baseDir) {
        return parse(JsonValue.parse(json, null), Objects.requireNonNull(baseDir, "baseDir").toAbsolutePath());
    }

    private static SecurityConfig parse(JsonValue root, Path baseDir) {
        root.object(FIELDS);
        Builder b = new Builder();
        b.file = root.file();
        root.optional("version").ifPresent(v -> {
            if (v.integer(Long.MIN_VALUE, Long.MAX_VALUE) != 1) {
                throw v.fail("must be 1");
            }
        });
        b.environment = ApiKeyRecordsJson.environment(root.required("environment"));
        b.keyProviderSettings = KeyProviderSettings.parse(
                root.optional("keyProvider").orElse(JsonValue.parse("{}", root.file())), baseDir);
        root.optional("pepper").ifPresent(v -> b.pepper = pepper(v.object(PEPPER_FIELDS), b.environment));
        root.optional("lifecycle").ifPresent(v -> lifecycle(v.object(LIFECYCLE_FIELDS), b));

        Optional<JsonValue> inline = root.optional("keys");
        Optional<JsonValue> keysFile = root.optional("keysFile");
        if (inline.isPresent() && keysFile.isPresent()) {
            throw keysFile.get().fail("set either keys or keysFile, not both");
        }
        JsonValue keysArray = null;
        if (inline.isPresent()) {
            keysArray = inline.get();
        } else if (keysFile.isPresent()) {
            Path keys = baseDir.resolve(keysFile.get().text()).normalize();
            keysArray = JsonValue.read(keys).object(Set.of("keys")).required("keys");
        }
        if (keysArray != null) {
            b.keys = ApiKeyRecordsJson.parseArray(keysArray);
            if (b.pepper == null) {
                throw root.child("pepper").fail("is required when API keys are configured (their hashes are keyed)");
            }
        }

        Optional<JsonValue> policies = root.optional("policies");
        Optional<JsonValue> groups = root.optional("groups");
        if (policies.isPresent()) {
            b.policies = policies(policies.get(), groups.orElse(null));
        } else if (groups.isPresent()) {
            throw groups.get().fail("attaches policies, but there is no policies section");
        }
        if (b.keys != null) {
            checkKeyPolicies(b.keys, keysArray, b.policies);
        }
        root.optional("anonymous").ifPresent(v -> {
            v.object(ANONYMOUS_FIELDS);
            if (b.keys != null) {
                throw v.fail("an anonymous principal makes no sense with API keys");
            }
            JsonValue names = v.optional("policies").orElse(null);
            if (names != null) {
                List<String> list = names.strings();
                List<JsonValue> elements = names.elements();
                for (int i = 0; i < list.size(); i++) {
                    if (b.policies == null || !b.policies.contains(list.get(i))) {
                        throw elements.get(i).fail("no such policy in the policies section");
                    }
                }
                b.anonymousPolicies = list;
            }
        });

        Set<String> keyIds = new HashSet<>();
        if (b.keys == null) {
            keyIds.add(dev.assistant.api.security.Principal.ANONYMOUS);
        } else {
            b.keys.forEach(k -> keyIds.add(k.keyId()));
        }
        root.optional("rateLimits").ifPresent(v -> b.rateLimits = RateLimitSettings.parse(v, keyIds));
        return new SecurityConfig(b);
    }

    private static KeyReference pepper(JsonValue value, Environment defaultEnvironment) {
        JsonValue keyId = value.required("keyId");
        Environment environment = value.optional("environment").map(ApiKeyRecordsJson::environment)
                .orElse(defaultEnvironment);
        try {
            return KeyReference.of(keyId.text(), environment);
        } catch (IllegalArgumentException e) {
            throw keyId.fail("key id must be 1-64 characters of [A-Za-z0-9._-]");
        }
    }

    private static void lifecycle(JsonValue value, Builder b) {
        value.optional("maxAge").ifPresent(v -> b.maxAge = v.duration());
        value.optional("warnBefore").ifPresent(v -> b.warnBefore = v.duration());
        value.optional("clockSkew").ifPresent(v -> {
            b.clockSkew = v.duration();
            if (b.clockSkew.compareTo(Duration.ofMinutes(15)) > 0) {
                throw v.fail("must be at most PT15M (a larger skew defeats expiry)");
            }
        });
        try {
            b.lifecycleBuilder(Clock.systemUTC()).build();
        } catch (IllegalArgumentException e) {
            throw value.child("warnBefore").fail("must be shorter than maxAge");
        }
    }

    private static PolicyRegistry policies(JsonValue value, JsonValue groups) {
        PolicyRegistry.Builder registry = PolicyRegistry.builder();
        Map<String, JsonValue> documents = value.fields();
        for (Map.Entry<String, JsonValue> entry : documents.entrySet()) {
            JsonValue document = entry.getValue();
            if (!POLICY_NAME.matcher(entry.getKey()).matches()) {
                throw document.fail("policy names are 1-64 characters of [A-Za-z0-9._-]");
            }
            try {
                registry.policy(entry.getKey(), document.rawJson());
            } catch (InvalidPolicyException e) {
                String prefix = "field " + e.field() + ": ";
                String message = e.getMessage();
                int at = message.indexOf(prefix);
                String problem = at < 0 ? message : message.substring(at + prefix.length());
                throw new SecurityConfigException(document.file(), document.subPath(e.field()), problem);
            }
        }
        if (groups != null) {
            for (Map.Entry<String, JsonValue> group : groups.fields().entrySet()) {
                List<String> names = group.getValue().strings();
                List<JsonValue> elements = group.getValue().elements();
                for (int i = 0; i < names.size(); i++) {
                    if (!documents.containsKey(names.get(i))) {
                        throw elements.get(i).fail("no such policy in the policies section");
                    }
                    registry.attachToGroup(group.getKey(), names.get(i));
                }
            }
        }
        return registry.build();
    }

    private static void checkKeyPolicies(List<ApiKeyRecord> keys, JsonValue keysArray, PolicyRegistry policies) {
        List<JsonValue> elements = keysArray.elements();
        for (int i = 0; i < keys.size(); i++) {
            List<String> names = keys.get(i).policies();
            for (int j = 0; j < names.size(); j++) {
                if (policies == null || !policies.contains(names.get(j))) {
                    throw elements.get(i).required("policies").elements().get(j)
                            .fail("no such policy in the policies section");
                }
            }
        }
    }

    /** The file this configuration was read from, or {@code null} for inline JSON. */
    public Optional<Path> file() {
        return Optional.ofNullable(file);
    }

    /** The environment this deployment runs in. */
    public Environment environment() {
        return environment;
    }

    /** The settings for {@link dev.assistant.security.key.KeyProviders#create} (never secret: they name secrets). */
    public Map<String, String> keyProviderSettings() {
        return keyProviderSettings;
    }

    /** The reference of the API key hashing pepper, when configured. */
    public Optional<KeyReference> pepper() {
        return Optional.ofNullable(pepper);
    }

    /** The key lifecycle rules on {@code clock}. */
    public KeyLifecycle lifecycle(Clock clock) {
        return new Builder().copyLifecycle(this).lifecycleBuilder(clock).build();
    }

    /** The API key records, when API keys are configured (empty: authentication is off). */
    public Optional<List<ApiKeyRecord>> keys() {
        return Optional.ofNullable(keys);
    }

    /** The policies and group attachments, when configured (empty: authorization is off). */
    public Optional<PolicyRegistry> policies() {
        return Optional.ofNullable(policies);
    }

    /** The names of the policies that govern the anonymous principal (without API keys). */
    public List<String> anonymousPolicies() {
        return anonymousPolicies;
    }

    /** The rate limits, when configured (empty: no rate limiting). */
    public Optional<RateLimitSettings> rateLimits() {
        return Optional.ofNullable(rateLimits);
    }

    @Override
    public String toString() {
        return "SecurityConfig[" + environment.id() + ", provider=" + keyProviderSettings.get("provider")
                + ", keys=" + (keys == null ? "off" : keys.size()) + ", policies=" + (policies == null ? "off" : "on")
                + ", rateLimits=" + (rateLimits == null ? "off" : rateLimits.backend()) + "]";
    }

    private static final class Builder {
        private Path file;
        private Environment environment;
        private Map<String, String> keyProviderSettings;
        private KeyReference pepper;
        private Duration maxAge;
        private Duration warnBefore;
        private Duration clockSkew;
        private List<ApiKeyRecord> keys;
        private PolicyRegistry policies;
        private List<String> anonymousPolicies = List.of();
        private RateLimitSettings rateLimits;

        Builder copyLifecycle(SecurityConfig c) {
            maxAge = c.maxAge;
            warnBefore = c.warnBefore;
            clockSkew = c.clockSkew;
            return this;
        }

        KeyLifecycle.Builder lifecycleBuilder(Clock clock) {
            KeyLifecycle.Builder lifecycle = KeyLifecycle.builder().clock(clock);
            if (maxAge != null) {
                lifecycle.maxAge(maxAge);
            }
            if (warnBefore != null) {
                lifecycle.warnBefore(warnBefore);
            }
            if (clockSkew != null) {
                lifecycle.clockSkew(clockSkew);
            }
            return lifecycle;
        }
    }
}

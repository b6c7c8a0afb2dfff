package dev.assistant.security.key;

import dev.assistant.api.Secret;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.Objects;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * Resolves keys from environment variables (the default provider).
 *
 * <p>Naming convention, for key id {@code k} in environment {@code e} and prefix {@code ASSISTANT_KEY}:
 * <pre>
 *   ASSISTANT_KEY_&lt;E&gt;_&lt;K&gt;             the secret (UTF-8)
 *   ASSISTANT_KEY_&lt;E&gt;_&lt;K&gt;_ISSUED_AT   ISO-8601 instant, required (rotation age is measured from it)
 *   ASSISTANT_KEY_&lt;E&gt;_&lt;K&gt;_EXPIRES_AT  ISO-8601 instant, optional (temporary credentials)
 * </pre>
 * where {@code <E>} is {@code DEV}, {@code TEST} or {@code PROD} and {@code <K>} is the key id upper-cased with
 * {@code .} and {@code -} replaced by {@code _} (so {@code openai.prod-1} becomes {@code OPENAI_PROD_1}).
 *
 * <p>The variable source is injected so tests need not touch the process environment.
 */
public final class EnvKeyProvider implements KeyProvider {
    /** The default variable name prefix. */
    public static final String DEFAULT_PREFIX = "ASSISTANT_KEY";
    private static final Pattern PREFIX = Pattern.compile("[A-Z][A-Z0-9_]*");

    private final String prefix;
    private final Function<String, String> variables;

    private EnvKeyProvider(String prefix, Function<String, String> variables) {
        if (!PREFIX.matcher(prefix).matches()) {
            throw new IllegalArgumentException("env key prefix must match [A-Z][A-Z0-9_]*; was '" + prefix + "'");
        }
        this.prefix = prefix;
        this.variables = Objects.requireNonNull(variables, "variables");
    }

    /** Reads the process environment with the default prefix. */
    public static EnvKeyProvider fromSystemEnvironment() {
        return new EnvKeyProvider(DEFAULT_PREFIX, System::getenv);
    }

    /** Reads variables from {@code variables} (name to value, {@code null} when unset). */
    public static EnvKeyProvider of(String prefix, Function<String, String> variables) {
        return new EnvKeyProvider(prefix, variables);
    }

    /** The variable that holds the secret of {@code reference}; the metadata variables append a suffix. */
    public String variableName(KeyReference reference) {
        return variableName(prefix, reference);
    }

    /** See the class documentation for the convention. */
    public static String variableName(String prefix, KeyReference reference) {
        String key = reference.keyId().toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
        return prefix + "_" + reference.environment().name() + "_" + key;
    }

    @Override
    public String name() {
        return "env";
    }

    @Override
    public Credential resolve(KeyReference reference) {
        String name = variableName(reference);
        String value = variables.apply(name);
        if (value == null || value.isEmpty()) {
            throw new KeyProviderException(KeyProviderException.Failure.KEY_NOT_FOUND,
                    "key " + reference + " not found: environment variable " + name + " is not set");
        }
        Instant issuedAt = instant(name + "_ISSUED_AT", true);
        Instant expiresAt = instant(name + "_EXPIRES_AT", false);
        char[] chars = value.toCharArray();
        try {
            return new Credential(reference, Secret.ofChars(chars), issuedAt, expiresAt, name());
        } catch (IllegalArgumentException e) {
            throw new KeyProviderException(KeyProviderException.Failure.MALFORMED,
                    "key " + reference + ": " + e.getMessage());
        } finally {
            java.util.Arrays.fill(chars, '\0');
        }
    }

    private Instant instant(String variable, boolean required) {
        String text = variables.apply(variable);
        if (text == null || text.isBlank()) {
            if (required) {
                throw new KeyProviderException(KeyProviderException.Failure.MALFORMED,
                        "environment variable " + variable + " is not set; it must hold the ISO-8601 issue time");
            }
            return null;
        }
        try {
            return Instant.parse(text.trim());
        } catch (DateTimeParseException e) {
            // The value of a metadata variable is not secret, but quoting it buys nothing: name the variable.
            throw new KeyProviderException(KeyProviderException.Failure.MALFORMED,
                    "environment variable " + variable + " is not an ISO-8601 instant (e.g. 2025-01-31T00:00:00Z)");
        }
    }

    @Override
    public String toString() {
        return "EnvKeyProvider[prefix=" + prefix + "]";
    }
}

package dev.assistant.security.key;

import dev.assistant.api.security.Environment;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Names a secret without containing it: a key id and the environment it was issued for.
 *
 * <p>Key ids are 1-64 characters of letters, digits, {@code .}, {@code _} and {@code -}, so they can appear in
 * environment variable names, file names, log lines and encryption contexts without escaping.
 */
public record KeyReference(String keyId, Environment environment) {
    private static final Pattern KEY_ID = Pattern.compile("[A-Za-z0-9._-]{1,64}");

    public KeyReference {
        Objects.requireNonNull(environment, "environment");
        validateKeyId(keyId);
    }

    public static KeyReference of(String keyId, Environment environment) {
        return new KeyReference(keyId, environment);
    }

    /** Fails with a message naming the rule when {@code keyId} is not a valid key id. */
    public static String validateKeyId(String keyId) {
        if (keyId == null || !KEY_ID.matcher(keyId).matches()) {
            throw new IllegalArgumentException(
                    "key id must be 1-64 characters of [A-Za-z0-9._-]; was " + (keyId == null ? "null" : "'" + keyId + "'"));
        }
        return keyId;
    }

    @Override
    public String toString() {
        return keyId + "@" + environment.id();
    }
}

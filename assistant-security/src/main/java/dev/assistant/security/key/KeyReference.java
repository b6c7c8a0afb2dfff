package dev.assistant.security.key;

import dev.assistant.api.security.Environment;
import dev.assistant.security.auth.ApiKeys;
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

    /**
     * Fails with a message naming the rule (never the value: a secret pasted where an id belongs must not reach a
     * log or a terminal through this message) when {@code keyId} is not a valid key id. An id shaped like an API key
     * (the {@value ApiKeys#PREFIX} prefix of generated keys) is refused: ids are printed and logged, keys never.
     */
    public static String validateKeyId(String keyId) {
        if (keyId == null || !KEY_ID.matcher(keyId).matches()) {
            throw new IllegalArgumentException("key id must be 1-64 characters of [A-Za-z0-9._-]");
        }
        if (looksLikeKey(keyId)) {
            throw new IllegalArgumentException("key id looks like an API key (it starts with " + ApiKeys.PREFIX
                    + "): a key id names a key, it is never the key itself");
        }
        return keyId;
    }

    /** Whether {@code text} has the shape of an API key made by {@link ApiKeys#generate}. */
    public static boolean looksLikeKey(String text) {
        return text != null && text.regionMatches(true, 0, ApiKeys.PREFIX, 0, ApiKeys.PREFIX.length());
    }

    @Override
    public String toString() {
        return keyId + "@" + environment.id();
    }
}

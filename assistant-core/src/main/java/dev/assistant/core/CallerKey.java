package dev.assistant.core;

import dev.assistant.api.Secret;

/**
 * The API key a caller presents. Held as a {@link Secret}: never printed, wiped by {@link #close()}.
 */
public final class CallerKey implements AutoCloseable {
    private final Secret secret;

    private CallerKey(Secret secret) {
        this.secret = secret;
    }

    /** Copies {@code key}; the caller may wipe its array afterwards. */
    public static CallerKey of(char[] key) {
        return new CallerKey(Secret.ofChars(key));
    }

    public static CallerKey of(String key) {
        return of(key.toCharArray());
    }

    /** The key as characters, a copy the caller must wipe. */
    public char[] chars() {
        return secret.chars();
    }

    @Override
    public void close() {
        secret.close();
    }

    @Override
    public String toString() {
        return "CallerKey[redacted]";
    }
}

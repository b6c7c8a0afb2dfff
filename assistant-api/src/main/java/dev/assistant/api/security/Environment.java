package dev.assistant.api.security;

import java.util.Locale;

/**
 * The deployment environment a key was issued for. A key issued for one environment is rejected in another, so a
 * leaked development key never opens production.
 */
public enum Environment {
    DEV,
    TEST,
    PROD;

    /** Parses {@code dev}, {@code test} or {@code prod} (any case). */
    public static Environment parse(String text) {
        if (text == null) {
            throw new IllegalArgumentException("environment must be one of dev, test, prod; was null");
        }
        try {
            return valueOf(text.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("environment must be one of dev, test, prod; was '" + text + "'");
        }
    }

    /** The lower-case name used in configuration, envelopes and encryption contexts. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }
}

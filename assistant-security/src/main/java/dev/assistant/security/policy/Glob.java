package dev.assistant.security.policy;

import java.util.Locale;

/**
 * A pattern where {@code *} matches any run of characters (including none and including {@code /}); every other
 * character matches itself. Compiled once, matched without regular expressions or allocation.
 */
final class Glob {
    private final String pattern;
    private final String[] parts;
    private final boolean anchoredStart;
    private final boolean anchoredEnd;
    private final boolean ignoreCase;

    private Glob(String pattern, boolean ignoreCase) {
        this.pattern = pattern;
        this.ignoreCase = ignoreCase;
        String p = ignoreCase ? pattern.toLowerCase(Locale.ROOT) : pattern;
        this.anchoredStart = !p.startsWith("*");
        this.anchoredEnd = !p.endsWith("*");
        this.parts = java.util.Arrays.stream(p.split("\\*+")).filter(s -> !s.isEmpty()).toArray(String[]::new);
    }

    static Glob of(String pattern, boolean ignoreCase) {
        return new Glob(pattern, ignoreCase);
    }

    /** @param text already lower-cased when this glob ignores case */
    boolean matches(String text) {
        if (parts.length == 0) {
            // Only stars (matches anything) or the empty pattern (matches only the empty string).
            return !anchoredStart || text.isEmpty();
        }
        int pos = 0;
        for (int i = 0; i < parts.length; i++) {
            String part = parts[i];
            boolean first = i == 0;
            boolean last = i == parts.length - 1;
            if (first && anchoredStart) {
                if (!text.startsWith(part)) {
                    return false;
                }
                pos = part.length();
                if (last && anchoredEnd) {
                    return pos == text.length();
                }
                continue;
            }
            if (last && anchoredEnd) {
                // The last literal must sit at the very end, after everything matched so far.
                return text.length() - part.length() >= pos && text.endsWith(part);
            }
            int found = text.indexOf(part, pos);
            if (found < 0) {
                return false;
            }
            pos = found + part.length();
        }
        return true;
    }

    boolean ignoreCase() {
        return ignoreCase;
    }

    @Override
    public String toString() {
        return pattern;
    }
}

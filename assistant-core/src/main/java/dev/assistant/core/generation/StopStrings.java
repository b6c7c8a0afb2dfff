package dev.assistant.core.generation;

import java.util.List;

/**
 * Watches generated text for stop strings and decides how much of it is safe to stream: text that might be the
 * beginning of a stop string is held back until the next tokens tell, so a stop string is never partly streamed.
 */
final class StopStrings {
    private final List<String> stops;
    private final StringBuilder text = new StringBuilder();
    private int emitted;
    private int stopAt = -1;

    StopStrings(List<String> stops) {
        this.stops = stops.stream().filter(s -> !s.isEmpty()).toList();
    }

    /** Adds decoded text; returns the newly safe text to stream (possibly empty). */
    String append(String delta) {
        if (stopAt >= 0) {
            return "";
        }
        text.append(delta);
        int searchFrom = Math.max(0, emitted - longest());
        int earliest = -1;
        for (String stop : stops) {
            int i = text.indexOf(stop, searchFrom);
            if (i >= 0 && (earliest < 0 || i < earliest)) {
                earliest = i;
            }
        }
        int safe;
        if (earliest >= 0) {
            stopAt = earliest;
            safe = earliest;
        } else {
            safe = text.length() - heldBack();
        }
        String out = safe > emitted ? text.substring(emitted, safe) : "";
        emitted = Math.max(emitted, safe);
        return out;
    }

    /** Releases text held back at the end of generation (no stop string can follow any more). */
    String flush() {
        int end = stopAt >= 0 ? stopAt : text.length();
        String out = end > emitted ? text.substring(emitted, end) : "";
        emitted = Math.max(emitted, end);
        return out;
    }

    /** All text released so far: the output, cut before a stop string. */
    String textSoFar() {
        return text.substring(0, emitted);
    }

    boolean stopped() {
        return stopAt >= 0;
    }

    /** Characters at the end of the text that are a proper prefix of some stop string. */
    private int heldBack() {
        int hold = 0;
        for (String stop : stops) {
            for (int k = Math.min(stop.length() - 1, text.length()); k > hold; k--) {
                if (endsWith(stop, k)) {
                    hold = k;
                    break;
                }
            }
        }
        return hold;
    }

    /** Whether the text ends with the first {@code k} characters of {@code stop}. */
    private boolean endsWith(String stop, int k) {
        int offset = text.length() - k;
        for (int i = 0; i < k; i++) {
            if (text.charAt(offset + i) != stop.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    private int longest() {
        int max = 0;
        for (String s : stops) {
            max = Math.max(max, s.length());
        }
        return max;
    }
}

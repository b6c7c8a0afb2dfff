package dev.assistant.core.engine.djl;

import java.util.HashMap;
import java.util.Map;
import java.util.function.Supplier;

/** Runs code with some system properties set, restoring their previous values afterwards. */
final class WithProperties {
    private WithProperties() {
    }

    /** @param keysAndValues property names and values, alternating */
    static <T> T run(Supplier<T> body, String... keysAndValues) {
        Map<String, String> before = new HashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            before.put(keysAndValues[i], System.getProperty(keysAndValues[i]));
            System.setProperty(keysAndValues[i], keysAndValues[i + 1]);
        }
        try {
            return body.get();
        } finally {
            before.forEach((key, value) -> {
                if (value == null) {
                    System.clearProperty(key);
                } else {
                    System.setProperty(key, value);
                }
            });
        }
    }
}

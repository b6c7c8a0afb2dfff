package dev.assistant.metrics;

/**
 * Minimal JSON text writing for snapshots and webhook bodies, so the module needs no JSON library.
 * Output is compact, fields appear in insertion order, non-finite numbers are written as {@code null}.
 */
public final class Json {
    private Json() {
    }

    /** {@code value} as a JSON string literal (with quotes), or {@code null}. */
    public static String quote(String value) {
        if (value == null) {
            return "null";
        }
        StringBuilder sb = new StringBuilder(value.length() + 2).append('"');
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20 || c == 0x2028 || c == 0x2029) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.append('"').toString();
    }

    /** A new, empty JSON object builder. */
    public static ObjectBuilder object() {
        return new ObjectBuilder();
    }

    /** Builds one JSON object; not thread-safe. */
    public static final class ObjectBuilder {
        private final StringBuilder sb = new StringBuilder("{");

        private ObjectBuilder name(String name) {
            if (sb.length() > 1) {
                sb.append(',');
            }
            sb.append(quote(name)).append(':');
            return this;
        }

        public ObjectBuilder field(String name, String value) {
            name(name).sb.append(quote(value));
            return this;
        }

        public ObjectBuilder field(String name, long value) {
            name(name).sb.append(value);
            return this;
        }

        public ObjectBuilder field(String name, double value) {
            name(name).sb.append(Double.isFinite(value) ? Double.toString(value) : "null");
            return this;
        }

        public ObjectBuilder field(String name, boolean value) {
            name(name).sb.append(value);
            return this;
        }

        /** Adds {@code json}, which must already be valid JSON text, as the value of {@code name}. */
        public ObjectBuilder rawField(String name, String json) {
            name(name).sb.append(json);
            return this;
        }

        public String build() {
            return sb + "}";
        }
    }
}

package dev.assistant.core.tokenizer;

import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.filter.Filter;
import com.hubspot.jinjava.lib.tag.Tag;
import com.hubspot.jinjava.objects.SafeString;
import com.hubspot.jinjava.tree.Node;
import com.hubspot.jinjava.tree.TagNode;
import java.lang.reflect.Array;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** The filters and tags HF's template environment has and Jinjava lacks or implements differently. */
final class TemplateExtensions {
    private TemplateExtensions() {
    }

    /** HF's {@code tojson}: python {@code json.dumps(x, ensure_ascii=False, indent=None)}, {@code ", "}/{@code ": "}. */
    static final class ToJsonFilter implements Filter {
        private static final long serialVersionUID = 1L;

        @Override
        public String getName() {
            return "tojson";
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
            return filter(var, interpreter, args, Map.of());
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
            Object indentArg = kwargs.containsKey("indent") ? kwargs.get("indent") : args.length > 0 ? args[0] : null;
            Integer indent = indentArg == null ? null : Integer.valueOf(indentArg.toString());
            boolean sortKeys = Boolean.parseBoolean(String.valueOf(kwargs.getOrDefault("sort_keys", "false")));
            StringBuilder out = new StringBuilder();
            write(out, var, indent, sortKeys, 0);
            return out.toString();
        }

        private static void write(StringBuilder out, Object value, Integer indent, boolean sortKeys, int depth) {
            if (value == null) {
                out.append("null");
            } else if (value instanceof SafeString safe) {
                quote(out, safe.getValue());
            } else if (value instanceof CharSequence || value instanceof Character) {
                quote(out, value.toString());
            } else if (value instanceof Boolean || value instanceof Integer || value instanceof Long
                    || value instanceof Short || value instanceof Byte || value instanceof java.math.BigInteger) {
                out.append(value);
            } else if (value instanceof Number num) {
                double d = num.doubleValue();
                out.append(Double.isNaN(d) ? "NaN" : Double.isInfinite(d) ? (d > 0 ? "Infinity" : "-Infinity")
                        : Double.toString(d).replace("E", "e+").replace("e+-", "e-"));
            } else if (value instanceof Map<?, ?> map) {
                Map<?, ?> entries = sortKeys ? new TreeMap<>(map) : map;
                if (entries.isEmpty()) {
                    out.append("{}");
                    return;
                }
                out.append('{');
                boolean first = true;
                for (Map.Entry<?, ?> e : entries.entrySet()) {
                    separator(out, first, indent, depth + 1);
                    quote(out, String.valueOf(e.getKey()));
                    out.append(": ");
                    write(out, e.getValue(), indent, sortKeys, depth + 1);
                    first = false;
                }
                close(out, indent, depth);
                out.append('}');
            } else if (value instanceof Iterable<?> || value.getClass().isArray()) {
                List<Object> items = new ArrayList<>();
                if (value instanceof Iterable<?> it) {
                    it.forEach(items::add);
                } else {
                    for (int i = 0; i < Array.getLength(value); i++) {
                        items.add(Array.get(value, i));
                    }
                }
                if (items.isEmpty()) {
                    out.append("[]");
                    return;
                }
                out.append('[');
                boolean first = true;
                for (Object item : items) {
                    separator(out, first, indent, depth + 1);
                    write(out, item, indent, sortKeys, depth + 1);
                    first = false;
                }
                close(out, indent, depth);
                out.append(']');
            } else {
                quote(out, value.toString());
            }
        }

        private static void separator(StringBuilder out, boolean first, Integer indent, int depth) {
            if (indent == null) {
                if (!first) {
                    out.append(", ");
                }
            } else {
                if (!first) {
                    out.append(',');
                }
                out.append('\n').append(" ".repeat(indent * depth));
            }
        }

        private static void close(StringBuilder out, Integer indent, int depth) {
            if (indent != null) {
                out.append('\n').append(" ".repeat(indent * depth));
            }
        }

        private static void quote(StringBuilder out, String s) {
            out.append('"');
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                switch (c) {
                    case '"' -> out.append("\\\"");
                    case '\\' -> out.append("\\\\");
                    case '\n' -> out.append("\\n");
                    case '\r' -> out.append("\\r");
                    case '\t' -> out.append("\\t");
                    case '\b' -> out.append("\\b");
                    case '\f' -> out.append("\\f");
                    default -> {
                        if (c < 0x20) {
                            out.append(String.format("\\u%04x", (int) c));
                        } else {
                            out.append(c);
                        }
                    }
                }
            }
            out.append('"');
        }
    }

    /** Jinja's {@code trim}: python {@code str.strip()} (Unicode whitespace), not Java's {@code String.trim()}. */
    static final class TrimFilter implements Filter {
        private static final long serialVersionUID = 1L;

        @Override
        public String getName() {
            return "trim";
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
            if (var == null) {
                return "";
            }
            String s = var instanceof SafeString safe ? safe.getValue() : var.toString();
            return PythonStringMethods.strip(s, args.length > 0 ? args[0] : null, true, true);
        }
    }

    /**
     * HF's {@code {% generation %}...{% endgeneration %}} (marks assistant text for training masks): renders its
     * body unchanged, as HF does when it is not collecting assistant masks.
     */
    static final class GenerationTag implements Tag {
        private static final long serialVersionUID = 1L;

        @Override
        public String getName() {
            return "generation";
        }

        @Override
        public String interpret(TagNode tagNode, JinjavaInterpreter interpreter) {
            StringBuilder out = new StringBuilder();
            for (Node child : tagNode.getChildren()) {
                out.append(child.render(interpreter).getValue());
            }
            return out.toString();
        }
    }
}

package dev.assistant.core.tokenizer;

/**
 * Rewrites the few Jinja2 expressions Jinjava cannot parse into equivalent calls, before compiling an HF chat
 * template. Today: extended slices with a step ({@code messages[::-1]}, {@code xs[1::2]}), which Qwen and DeepSeek
 * templates use, become {@code __py_slice(messages, none, none, -1)}; keyword-argument values are parenthesized
 * ({@code namespace(i=messages|length - 1)} becomes {@code namespace(i=(messages|length - 1))}) because Jinjava binds
 * {@code name=value} tighter than arithmetic. Only code inside {@code {{ }}} and {@code {% %}} is touched, never
 * string literals or template text.
 */
final class TemplateSourceRewriter {
    static final String SLICE_FUNCTION = "__py_slice";

    private TemplateSourceRewriter() {
    }

    static String rewrite(String source) {
        return rewriteSlices(parenthesizeKeywordArguments(source));
    }

    private static final java.util.regex.Pattern FOR_TAG =
            java.util.regex.Pattern.compile("\\{%-?\\s*for\\s.+?\\sin\\s(.+?)-?%\\}", java.util.regex.Pattern.DOTALL);

    /**
     * Whether the template filters a loop ({@code {% for x in xs if cond %}}): Jinjava silently ignores the filter,
     * which would render a wrong prompt, so such templates are rejected instead.
     */
    static boolean usesLoopFilter(String source) {
        java.util.regex.Matcher m = FOR_TAG.matcher(source);
        while (m.find()) {
            String iterable = stripStrings(m.group(1));
            if (iterable.matches("(?s).*\\sif\\s.*") && !iterable.matches("(?s).*\\selse\\s.*")) {
                return true;
            }
        }
        return false;
    }

    private static String stripStrings(String code) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < code.length(); ) {
            char c = code.charAt(i);
            if (c == '\'' || c == '"') {
                i = skipString(code, i);
                out.append("''");
            } else {
                out.append(c);
                i++;
            }
        }
        return out.append(' ').toString();
    }

    /** Wraps each {@code name=value} argument value of a call in parentheses. */
    static String parenthesizeKeywordArguments(String s) {
        StringBuilder out = new StringBuilder(s.length() + 16);
        int i = 0;
        boolean inCode = false;
        java.util.ArrayDeque<Character> brackets = new java.util.ArrayDeque<>();
        while (i < s.length()) {
            if (!inCode) {
                if (s.startsWith("{#", i)) {
                    int end = s.indexOf("#}", i + 2);
                    int stop = end < 0 ? s.length() : end + 2;
                    out.append(s, i, stop);
                    i = stop;
                } else if (s.startsWith("{{", i) || s.startsWith("{%", i)) {
                    inCode = true;
                    brackets.clear();
                    out.append(s, i, i + 2);
                    i += 2;
                } else {
                    out.append(s.charAt(i++));
                }
                continue;
            }
            char c = s.charAt(i);
            if (c == '\'' || c == '"') {
                int end = skipString(s, i);
                out.append(s, i, end);
                i = end;
                continue;
            }
            if (brackets.isEmpty() && (s.startsWith("}}", i) || s.startsWith("%}", i))) {
                inCode = false;
                out.append(s, i, i + 2);
                i += 2;
                continue;
            }
            out.append(c);
            i++;
            if (c == '(' || c == '[' || c == '{') {
                brackets.push(c);
            } else if (c == ')' || c == ']' || c == '}') {
                if (!brackets.isEmpty()) {
                    brackets.pop();
                }
            }
            if ((c == '(' || c == ',') && !brackets.isEmpty() && brackets.peek() == '(') {
                int valueStart = keywordValueStart(s, i);
                if (valueStart > 0) {
                    int valueEnd = argumentEnd(s, valueStart);
                    if (valueEnd > valueStart) {
                        out.append(s, i, valueStart).append('(').append(s, valueStart, valueEnd).append(')');
                        i = valueEnd;
                    }
                }
            }
        }
        return out.toString();
    }

    /** If {@code s[from..]} is {@code  name = } (not {@code ==}), the index after the {@code =}; else -1. */
    private static int keywordValueStart(String s, int from) {
        int i = from;
        while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
            i++;
        }
        int nameStart = i;
        while (i < s.length() && (Character.isLetterOrDigit(s.charAt(i)) || s.charAt(i) == '_')) {
            i++;
        }
        if (i == nameStart || Character.isDigit(s.charAt(nameStart))) {
            return -1;
        }
        while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
            i++;
        }
        if (i < s.length() && s.charAt(i) == '=' && (i + 1 >= s.length() || s.charAt(i + 1) != '=')) {
            return i + 1;
        }
        return -1;
    }

    /** End of one call argument: the next top-level comma or closing bracket. */
    private static int argumentEnd(String s, int from) {
        int depth = 0;
        int i = from;
        while (i < s.length()) {
            char c = s.charAt(i);
            if (c == '\'' || c == '"') {
                i = skipString(s, i);
                continue;
            }
            if (c == '(' || c == '[' || c == '{') {
                depth++;
            } else if (c == ')' || c == ']' || c == '}') {
                if (depth == 0) {
                    return i;
                }
                depth--;
            } else if (c == ',' && depth == 0) {
                return i;
            }
            i++;
        }
        return -1;
    }

    private static String rewriteSlices(String source) {
        String current = source;
        int from = 0;
        while (true) {
            int[] slice = findExtendedSlice(current, from);
            if (slice == null) {
                return current;
            }
            int open = slice[0];
            int close = slice[1];
            int baseStart = baseStart(current, open);
            if (baseStart == open) { // a list literal like [1, 2] cannot have a step slice: leave it to Jinjava
                from = close + 1;
                continue;
            }
            String base = current.substring(baseStart, open);
            String[] parts = splitTopLevel(current.substring(open + 1, close));
            String replacement = SLICE_FUNCTION + "(" + base + ", " + arg(parts[0]) + ", " + arg(parts[1]) + ", "
                    + arg(parts[2]) + ")";
            current = current.substring(0, baseStart) + replacement + current.substring(close + 1);
            from = baseStart;
        }
    }

    private static String arg(String part) {
        String trimmed = part.strip();
        return trimmed.isEmpty() ? "none" : trimmed;
    }

    /** Finds the next {@code [a:b:c]} inside a Jinja code block, returning the bracket positions. */
    private static int[] findExtendedSlice(String s, int from) {
        int i = 0;
        boolean inCode = false;
        while (i < s.length()) {
            if (!inCode) {
                if (s.startsWith("{#", i)) {
                    int end = s.indexOf("#}", i + 2);
                    if (end < 0) {
                        return null;
                    }
                    i = end + 2;
                } else if (s.startsWith("{{", i) || s.startsWith("{%", i)) {
                    inCode = true;
                    i += 2;
                } else {
                    i++;
                }
                continue;
            }
            char c = s.charAt(i);
            if (c == '\'' || c == '"') {
                i = skipString(s, i);
            } else if (s.startsWith("}}", i) || s.startsWith("%}", i)) {
                inCode = false;
                i += 2;
            } else if (c == '[' && i >= from) {
                int close = matching(s, i);
                if (close < 0) {
                    return null;
                }
                if (countTopLevelColons(s.substring(i + 1, close)) == 2) {
                    return new int[] {i, close};
                }
                i++;
            } else {
                i++;
            }
        }
        return null;
    }

    private static int skipString(String s, int quote) {
        char q = s.charAt(quote);
        int i = quote + 1;
        while (i < s.length() && s.charAt(i) != q) {
            i += s.charAt(i) == '\\' ? 2 : 1;
        }
        return Math.min(i + 1, s.length());
    }

    private static int matching(String s, int open) {
        int depth = 0;
        for (int i = open; i < s.length(); ) {
            char c = s.charAt(i);
            if (c == '\'' || c == '"') {
                i = skipString(s, i);
                continue;
            }
            if (c == '[' || c == '(' || c == '{') {
                depth++;
            } else if (c == ']' || c == ')' || c == '}') {
                depth--;
                if (depth == 0) {
                    return i;
                }
            }
            i++;
        }
        return -1;
    }

    private static int countTopLevelColons(String inner) {
        return splitTopLevel(inner).length - 1;
    }

    private static String[] splitTopLevel(String inner) {
        java.util.List<String> parts = new java.util.ArrayList<>();
        int depth = 0;
        int start = 0;
        for (int i = 0; i < inner.length(); ) {
            char c = inner.charAt(i);
            if (c == '\'' || c == '"') {
                i = skipString(inner, i);
                continue;
            }
            if (c == '[' || c == '(' || c == '{') {
                depth++;
            } else if (c == ']' || c == ')' || c == '}') {
                depth--;
            } else if (c == ':' && depth == 0) {
                parts.add(inner.substring(start, i));
                start = i + 1;
            }
            i++;
        }
        parts.add(inner.substring(start));
        return parts.toArray(new String[0]);
    }

    /** Start of the primary expression ending right before {@code open}: names, dots, calls, subscripts, strings. */
    private static int baseStart(String s, int open) {
        int i = open - 1;
        while (i >= 0) {
            char c = s.charAt(i);
            if (Character.isLetterOrDigit(c) || c == '_' || c == '.') {
                i--;
            } else if (c == ']' || c == ')') {
                char want = c == ']' ? '[' : '(';
                int closer = i;
                int depth = 0;
                while (i >= 0) {
                    char d = s.charAt(i);
                    if (d == c) {
                        depth++;
                    } else if (d == want) {
                        depth--;
                        if (depth == 0) {
                            break;
                        }
                    }
                    i--;
                }
                if (i < 0) { // an unmatched closer is not part of the base: the base starts after it
                    return closer + 1;
                }
                i--;
            } else if (c == '\'' || c == '"') {
                int q = s.lastIndexOf(c, i - 1);
                i = q < 0 ? -1 : q - 1;
            } else {
                break;
            }
        }
        return i + 1;
    }
}

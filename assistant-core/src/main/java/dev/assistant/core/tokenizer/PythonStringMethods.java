package dev.assistant.core.tokenizer;

import com.hubspot.jinjava.objects.SafeString;
import java.beans.FeatureDescriptor;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import jinjava.javax.el.ELContext;
import jinjava.javax.el.ELResolver;

/**
 * Python {@code str} methods for Jinjava, which otherwise exposes Java's {@code String} methods (no
 * {@code startswith}, a regex {@code split} that drops trailing empty strings ...). HF chat templates call
 * {@code content.strip()}, {@code .startswith()}, {@code .split('</think>')[-1].lstrip('\n')} and similar, and must
 * render exactly as in Python. Only method invocation on strings is resolved here; everything else falls through to
 * Jinjava's own resolvers.
 */
final class PythonStringMethods extends ELResolver {

    @Override
    public Object invoke(ELContext context, Object base, Object method, Class<?>[] paramTypes, Object[] params) {
        String s = base instanceof String str ? str : base instanceof SafeString safe ? safe.getValue() : null;
        if (s == null || !(method instanceof String name)) {
            return null;
        }
        Object[] args = params == null ? new Object[0] : params;
        Object result = call(s, name, args);
        if (result != NOT_HANDLED) {
            context.setPropertyResolved(true);
            return result;
        }
        return null;
    }

    private static final Object NOT_HANDLED = new Object();

    private static Object call(String s, String name, Object[] a) {
        int n = a.length;
        switch (name) {
            case "strip":
                return n <= 1 ? strip(s, n == 0 ? null : str(a[0]), true, true) : NOT_HANDLED;
            case "lstrip":
                return n <= 1 ? strip(s, n == 0 ? null : str(a[0]), true, false) : NOT_HANDLED;
            case "rstrip":
                return n <= 1 ? strip(s, n == 0 ? null : str(a[0]), false, true) : NOT_HANDLED;
            case "startswith":
                return n == 1 ? anyMatch(a[0], s::startsWith) : NOT_HANDLED;
            case "endswith":
                return n == 1 ? anyMatch(a[0], s::endsWith) : NOT_HANDLED;
            case "upper":
                return n == 0 ? s.toUpperCase(java.util.Locale.ROOT) : NOT_HANDLED;
            case "lower":
                return n == 0 ? s.toLowerCase(java.util.Locale.ROOT) : NOT_HANDLED;
            case "title":
                return n == 0 ? title(s) : NOT_HANDLED;
            case "capitalize":
                return n == 0 ? (s.isEmpty() ? s : s.substring(0, s.offsetByCodePoints(0, 1)).toUpperCase(java.util.Locale.ROOT)
                        + s.substring(s.offsetByCodePoints(0, 1)).toLowerCase(java.util.Locale.ROOT)) : NOT_HANDLED;
            case "split":
                return n <= 2 ? split(s, n >= 1 ? str(a[0]) : null, n == 2 ? toInt(a[1]) : -1) : NOT_HANDLED;
            case "rsplit":
                return n <= 2 ? rsplit(s, n >= 1 ? str(a[0]) : null, n == 2 ? toInt(a[1]) : -1) : NOT_HANDLED;
            case "splitlines":
                return n == 0 ? splitlines(s) : NOT_HANDLED;
            case "replace":
                return n == 2 || n == 3 ? replace(s, str(a[0]), str(a[1]), n == 3 ? toInt(a[2]) : -1) : NOT_HANDLED;
            case "find":
                return n == 1 ? (Object) (long) codePointIndex(s, s.indexOf(str(a[0]))) : NOT_HANDLED;
            case "rfind":
                return n == 1 ? (Object) (long) codePointIndex(s, s.lastIndexOf(str(a[0]))) : NOT_HANDLED;
            case "count":
                return n == 1 ? (Object) (long) count(s, str(a[0])) : NOT_HANDLED;
            case "join":
                return n == 1 ? join(s, a[0]) : NOT_HANDLED;
            case "removeprefix":
                return n == 1 ? (s.startsWith(str(a[0])) ? s.substring(str(a[0]).length()) : s) : NOT_HANDLED;
            case "removesuffix":
                return n == 1 ? (!str(a[0]).isEmpty() && s.endsWith(str(a[0]))
                        ? s.substring(0, s.length() - str(a[0]).length()) : s) : NOT_HANDLED;
            case "isspace":
                return n == 0 ? !s.isEmpty() && s.codePoints().allMatch(PythonStringMethods::isPySpace) : NOT_HANDLED;
            case "isdigit":
                return n == 0 ? !s.isEmpty() && s.codePoints().allMatch(Character::isDigit) : NOT_HANDLED;
            case "isalpha":
                return n == 0 ? !s.isEmpty() && s.codePoints().allMatch(Character::isLetter) : NOT_HANDLED;
            case "isalnum":
                return n == 0 ? !s.isEmpty() && s.codePoints().allMatch(Character::isLetterOrDigit) : NOT_HANDLED;
            case "isupper":
                return n == 0 ? s.codePoints().anyMatch(PythonStringMethods::isCased)
                        && s.codePoints().noneMatch(Character::isLowerCase) : NOT_HANDLED;
            case "islower":
                return n == 0 ? s.codePoints().anyMatch(PythonStringMethods::isCased)
                        && s.codePoints().noneMatch(c -> Character.isUpperCase(c) || Character.isTitleCase(c)) : NOT_HANDLED;
            default:
                return NOT_HANDLED;
        }
    }

    /** Python's str.isspace(): Unicode whitespace including the no-break spaces Java's isWhitespace excludes. */
    static boolean isPySpace(int c) {
        return Character.isWhitespace(c) || Character.isSpaceChar(c) || c == 0x85;
    }

    private static boolean isCased(int c) {
        return Character.isUpperCase(c) || Character.isLowerCase(c) || Character.isTitleCase(c);
    }

    static String strip(String s, String chars, boolean left, boolean right) {
        int start = 0;
        int end = s.length();
        if (left) {
            while (start < end) {
                int c = s.codePointAt(start);
                if (!stripped(c, chars)) {
                    break;
                }
                start += Character.charCount(c);
            }
        }
        if (right) {
            while (end > start) {
                int c = s.codePointBefore(end);
                if (!stripped(c, chars)) {
                    break;
                }
                end -= Character.charCount(c);
            }
        }
        return s.substring(start, end);
    }

    private static boolean stripped(int c, String chars) {
        return chars == null ? isPySpace(c) : chars.indexOf(c) >= 0;
    }

    private static boolean anyMatch(Object arg, java.util.function.Predicate<String> test) {
        if (arg instanceof Collection<?> options) { // python accepts a tuple of prefixes
            for (Object o : options) {
                if (test.test(str(o))) {
                    return true;
                }
            }
            return false;
        }
        return test.test(str(arg));
    }

    private static String title(String s) {
        StringBuilder out = new StringBuilder(s.length());
        boolean previousCased = false;
        for (int i = 0; i < s.length(); ) {
            int c = s.codePointAt(i);
            i += Character.charCount(c);
            if (isCased(c)) {
                out.appendCodePoint(previousCased ? Character.toLowerCase(c) : Character.toTitleCase(c));
                previousCased = true;
            } else {
                out.appendCodePoint(c);
                previousCased = false;
            }
        }
        return out.toString();
    }

    static List<String> split(String s, String sep, int maxSplit) {
        List<String> out = new ArrayList<>();
        if (sep == null) { // runs of whitespace, no empty strings
            int i = 0;
            int n = s.length();
            while (true) {
                while (i < n && isPySpace(s.codePointAt(i))) {
                    i += Character.charCount(s.codePointAt(i));
                }
                if (i >= n) {
                    break;
                }
                if (maxSplit >= 0 && out.size() == maxSplit) {
                    out.add(strip(s.substring(i), null, false, true));
                    break;
                }
                int j = i;
                while (j < n && !isPySpace(s.codePointAt(j))) {
                    j += Character.charCount(s.codePointAt(j));
                }
                out.add(s.substring(i, j));
                i = j;
            }
            return out;
        }
        if (sep.isEmpty()) {
            throw new IllegalArgumentException("empty separator");
        }
        int from = 0;
        int idx;
        while ((maxSplit < 0 || out.size() < maxSplit) && (idx = s.indexOf(sep, from)) >= 0) {
            out.add(s.substring(from, idx));
            from = idx + sep.length();
        }
        out.add(s.substring(from));
        return out;
    }

    private static List<String> rsplit(String s, String sep, int maxSplit) {
        if (maxSplit < 0 || sep == null) {
            return split(s, sep, maxSplit);
        }
        if (sep.isEmpty()) {
            throw new IllegalArgumentException("empty separator");
        }
        List<String> out = new ArrayList<>();
        int end = s.length();
        int idx;
        while (out.size() < maxSplit && (idx = s.lastIndexOf(sep, end - sep.length())) >= 0) {
            out.add(0, s.substring(idx + sep.length(), end));
            end = idx;
        }
        out.add(0, s.substring(0, end));
        return out;
    }

    private static List<String> splitlines(String s) {
        List<String> out = new ArrayList<>();
        int start = 0;
        int i = 0;
        while (i < s.length()) {
            char c = s.charAt(i);
            if (c == '\r' || c == '\n' || c == 0x0b || c == 0x0c || c == 0x1c || c == 0x1d || c == 0x1e || c == 0x85
                    || c == 0x2028 || c == 0x2029) {
                out.add(s.substring(start, i));
                i += c == '\r' && i + 1 < s.length() && s.charAt(i + 1) == '\n' ? 2 : 1;
                start = i;
            } else {
                i++;
            }
        }
        if (start < s.length()) {
            out.add(s.substring(start));
        }
        return out;
    }

    private static String replace(String s, String old, String replacement, int count) {
        if (count < 0 || old.isEmpty()) {
            return s.replace(old, replacement);
        }
        StringBuilder out = new StringBuilder();
        int from = 0;
        for (int done = 0; done < count; done++) {
            int idx = s.indexOf(old, from);
            if (idx < 0) {
                break;
            }
            out.append(s, from, idx).append(replacement);
            from = idx + old.length();
        }
        return out.append(s.substring(from)).toString();
    }

    private static int count(String s, String sub) {
        if (sub.isEmpty()) {
            return s.codePointCount(0, s.length()) + 1;
        }
        int count = 0;
        int from = 0;
        int idx;
        while ((idx = s.indexOf(sub, from)) >= 0) {
            count++;
            from = idx + sub.length();
        }
        return count;
    }

    private static int codePointIndex(String s, int charIndex) {
        return charIndex < 0 ? -1 : s.codePointCount(0, charIndex);
    }

    private static String join(String sep, Object items) {
        StringBuilder out = new StringBuilder();
        Iterable<?> iterable = items instanceof Iterable<?> it ? it : items instanceof Object[] arr ? List.of(arr) : null;
        if (iterable == null) {
            return str(items);
        }
        boolean first = true;
        for (Object o : iterable) {
            if (!first) {
                out.append(sep);
            }
            out.append(str(o));
            first = false;
        }
        return out.toString();
    }

    private static String str(Object o) {
        return o == null ? "None" : o instanceof SafeString safe ? safe.getValue() : o.toString();
    }

    private static int toInt(Object o) {
        return o instanceof Number num ? num.intValue() : Integer.parseInt(str(o));
    }

    @Override
    public Class<?> getCommonPropertyType(ELContext context, Object base) {
        return null;
    }

    @Override
    public Iterator<FeatureDescriptor> getFeatureDescriptors(ELContext context, Object base) {
        return null;
    }

    @Override
    public Class<?> getType(ELContext context, Object base, Object property) {
        return null;
    }

    @Override
    public Object getValue(ELContext context, Object base, Object property) {
        return null;
    }

    @Override
    public boolean isReadOnly(ELContext context, Object base, Object property) {
        return true;
    }

    @Override
    public void setValue(ELContext context, Object base, Object property, Object value) {
        // never resolves properties: Jinjava's own resolvers do
    }
}

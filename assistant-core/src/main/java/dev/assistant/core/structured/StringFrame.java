package dev.assistant.core.structured;

/**
 * Inside a JSON string: plain characters as valid UTF-8 (no overlong forms, no surrogates), escapes
 * ({@code \" \\ \/ \b \f \n \r \t} and {@code \}{@code uXXXX} outside the surrogate range, so every escape is a whole
 * character), no raw control characters, length counted in code points.
 */
final class StringFrame extends Frame {
    static final int NORMAL = 0;
    static final int ESCAPE = 1;
    static final int UNICODE = 2;
    static final int UTF8 = 3;

    final StringNode node;
    final int count;
    final int mode;
    /** UNICODE: hex digits read; UTF8: continuation bytes still needed. */
    final int pending;
    /** The range of the next byte (UTF8), or for UNICODE whether the escape began with D (surrogates excluded). */
    final int lo;
    final int hi;

    private StringFrame(StringNode node, int count, int mode, int pending, int lo, int hi) {
        this.node = node;
        this.count = count;
        this.mode = mode;
        this.pending = pending;
        this.lo = lo;
        this.hi = hi;
    }

    static StringFrame open(StringNode node) {
        return new StringFrame(node, 0, NORMAL, 0, 0, 0);
    }

    /** The same string with {@code chars} more plain characters (the fast path for whole tokens). */
    StringFrame plus(int chars) {
        return new StringFrame(node, count + chars, NORMAL, 0, 0, 0);
    }

    boolean normal() {
        return mode == NORMAL;
    }

    /** Characters the string may still take. */
    int room() {
        return node.maxLength - count;
    }

    @Override
    void step(int b, Stack rest, Configurations out) {
        switch (mode) {
            case NORMAL -> normal(b, rest, out);
            case ESCAPE -> {
                if (b == '"' || b == '\\' || b == '/' || b == 'b' || b == 'f' || b == 'n' || b == 'r' || b == 't') {
                    out.add(new Stack(new StringFrame(node, count, NORMAL, 0, 0, 0), rest));
                } else if (b == 'u') {
                    out.add(new Stack(new StringFrame(node, count, UNICODE, 0, 0, 0), rest));
                }
            }
            case UNICODE -> {
                int digit = Character.digit(b, 16);
                if (digit < 0 || (pending == 1 && lo == 1 && digit > 7)) {
                    return; // not hex, or \\uD800-\\uDFFF (a lone surrogate)
                }
                int flag = pending == 0 ? (digit == 0xD ? 1 : 0) : lo;
                out.add(new Stack(pending == 3 ? new StringFrame(node, count, NORMAL, 0, 0, 0)
                        : new StringFrame(node, count, UNICODE, pending + 1, flag, 0), rest));
            }
            default -> { // UTF8 continuation
                if (b >= lo && b <= hi) {
                    out.add(new Stack(pending == 1 ? new StringFrame(node, count, NORMAL, 0, 0, 0)
                            : new StringFrame(node, count, UTF8, pending - 1, 0x80, 0xBF), rest));
                }
            }
        }
    }

    private void normal(int b, Stack rest, Configurations out) {
        if (b == '"') {
            if (count >= node.minLength) {
                out.add(rest);
            }
            return;
        }
        if (b < 0x20 || count >= node.maxLength) {
            return;
        }
        if (b == '\\') {
            out.add(new Stack(new StringFrame(node, count + 1, ESCAPE, 0, 0, 0), rest));
        } else if (b < 0x80) {
            out.add(new Stack(new StringFrame(node, count + 1, NORMAL, 0, 0, 0), rest));
        } else if (b >= 0xC2 && b <= 0xDF) {
            out.add(new Stack(new StringFrame(node, count + 1, UTF8, 1, 0x80, 0xBF), rest));
        } else if (b >= 0xE0 && b <= 0xEF) {
            int l = b == 0xE0 ? 0xA0 : 0x80;
            int h = b == 0xED ? 0x9F : 0xBF;
            out.add(new Stack(new StringFrame(node, count + 1, UTF8, 2, l, h), rest));
        } else if (b >= 0xF0 && b <= 0xF4) {
            int l = b == 0xF0 ? 0x90 : 0x80;
            int h = b == 0xF4 ? 0x8F : 0xBF;
            out.add(new Stack(new StringFrame(node, count + 1, UTF8, 3, l, h), rest));
        }
    }

    @Override
    long minBytesToEnd() {
        long body = Math.max(0, node.minLength - count) + 1L;
        return switch (mode) {
            case NORMAL -> body;
            case ESCAPE -> 1 + body;
            case UNICODE -> (4 - pending) + body;
            default -> pending + body;
        };
    }
}

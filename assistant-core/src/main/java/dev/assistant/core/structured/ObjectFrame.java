package dev.assistant.core.structured;

import java.util.Arrays;

/** Inside a JSON object: where between keys, colons, values and commas, and (in a key) which keys still match. */
final class ObjectFrame extends Frame {
    static final int OPEN = 0;
    static final int KEY = 1;
    static final int AFTER_KEY = 2;
    static final int AFTER_COLON = 3;
    static final int AFTER_VALUE = 4;
    static final int AFTER_COMMA = 5;

    private final ObjectNode node;
    private final int phase;
    /** The property chosen (AFTER_KEY, AFTER_COLON) or the last one written (AFTER_VALUE, AFTER_COMMA, KEY); -1 none. */
    private final int index;
    /** KEY: the declared keys that still match. */
    private final int[] alive;
    /** KEY: bytes of the key read, its opening quote included. */
    private final int pos;
    private final int whitespace;

    ObjectFrame(ObjectNode node, int phase, int index, int[] alive, int pos, int whitespace) {
        this.node = node;
        this.phase = phase;
        this.index = index;
        this.alive = alive;
        this.pos = pos;
        this.whitespace = whitespace;
    }

    private ObjectFrame to(int phase, int index) {
        return new ObjectFrame(node, phase, index, null, 0, 0);
    }

    @Override
    void step(int b, Stack rest, Configurations out) {
        if (phase == KEY) {
            key(b, rest, out);
            return;
        }
        if (isWhitespace(b)) {
            if (whitespace < Grammar.MAX_WHITESPACE) {
                out.add(new Stack(new ObjectFrame(node, phase, index, alive, pos, whitespace + 1), rest));
            }
            return;
        }
        boolean free = node.freeKeys();
        switch (phase) {
            case OPEN, AFTER_COMMA -> {
                if (b == '}' && phase == OPEN && (free || node.closingFromStart() == 1)) {
                    out.add(rest);
                } else if (b == '"') {
                    if (free) {
                        out.add(new Stack(StringFrame.open(ObjectNode.KEY), new Stack(to(AFTER_KEY, -1), rest)));
                    } else if (node.keys.length > 0) {
                        int[] candidates = node.candidates(index + 1);
                        if (candidates.length > 0) {
                            out.add(new Stack(new ObjectFrame(node, KEY, index, candidates, 1, 0), rest));
                        }
                    }
                }
            }
            case AFTER_KEY -> {
                if (b == ':') {
                    out.add(new Stack(to(AFTER_COLON, index), rest));
                }
            }
            case AFTER_COLON -> {
                Node value = free ? node.additional : node.values[index];
                value.start(b, new Stack(to(AFTER_VALUE, index), rest), out);
            }
            default -> { // AFTER_VALUE
                if (b == '}' && (free || node.closing(index + 1) == 1)) {
                    out.add(rest);
                } else if (b == ',' && (free || node.candidates(index + 1).length > 0)) {
                    out.add(new Stack(to(AFTER_COMMA, index), rest));
                }
            }
        }
    }

    private void key(int b, Stack rest, Configurations out) {
        int[] next = new int[alive.length];
        int n = 0;
        for (int c : alive) {
            byte[] k = node.keys[c];
            if (k.length > pos && (k[pos] & 0xff) == b) {
                if (k.length == pos + 1) {
                    // a key's closing quote: keys are distinct JSON strings, so exactly one ends here
                    out.add(new Stack(to(AFTER_KEY, c), rest));
                    return;
                }
                next[n++] = c;
            }
        }
        if (n > 0) {
            out.add(new Stack(new ObjectFrame(node, KEY, index, Arrays.copyOf(next, n), pos + 1, 0), rest));
        }
    }

    @Override
    long minBytesToEnd() {
        if (node.freeKeys()) {
            long value = node.additional.minBytes();
            return switch (phase) {
                case OPEN, AFTER_VALUE -> 1;
                case AFTER_KEY -> Node.add(2, value);
                case AFTER_COLON -> Node.add(1, value);
                default -> Node.add(4, value); // AFTER_COMMA: "": value }
            };
        }
        return switch (phase) {
            case OPEN -> node.closingFromStart();
            case KEY -> {
                long min = Node.INFINITE;
                for (int c : alive) {
                    min = Math.min(min, node.propertyAndClose(c) - pos);
                }
                yield min;
            }
            case AFTER_KEY -> node.propertyAndClose(index) - node.keys[index].length;
            case AFTER_COLON -> node.propertyAndClose(index) - node.keys[index].length - 1;
            case AFTER_VALUE -> node.closing(index + 1);
            default -> node.afterComma(index + 1);
        };
    }
}

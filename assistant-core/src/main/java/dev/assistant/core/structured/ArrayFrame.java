package dev.assistant.core.structured;

/** Inside a JSON array: after "[", after an item, or after a comma; whitespace bounded in between. */
final class ArrayFrame extends Frame {
    static final int OPEN = 0;
    static final int AFTER_ITEM = 1;
    static final int AFTER_COMMA = 2;

    private final ArrayNode node;
    private final int phase;
    private final int count;
    private final int whitespace;

    ArrayFrame(ArrayNode node, int phase, int count, int whitespace) {
        this.node = node;
        this.phase = phase;
        this.count = count;
        this.whitespace = whitespace;
    }

    @Override
    void step(int b, Stack rest, Configurations out) {
        if (isWhitespace(b)) {
            if (whitespace < Grammar.MAX_WHITESPACE) {
                out.add(new Stack(new ArrayFrame(node, phase, count, whitespace + 1), rest));
            }
            return;
        }
        if (phase == AFTER_ITEM) {
            if (b == ',' && count < node.maxItems) {
                out.add(new Stack(new ArrayFrame(node, AFTER_COMMA, count, 0), rest));
            } else if (b == ']' && count >= node.minItems) {
                out.add(rest);
            }
            return;
        }
        if (phase == OPEN && b == ']' && node.minItems == 0) {
            out.add(rest);
            return;
        }
        if (count < node.maxItems) {
            node.items.start(b, new Stack(new ArrayFrame(node, AFTER_ITEM, count + 1, 0), rest), out);
        }
    }

    @Override
    long minBytesToEnd() {
        return switch (phase) {
            case OPEN -> node.closing(0);
            case AFTER_ITEM -> node.closing(count);
            default -> Node.add(node.items.minBytes(), node.closing(count + 1));
        };
    }
}

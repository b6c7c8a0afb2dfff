package dev.assistant.core.structured;

/** A JSON array of {@code minItems} to {@code maxItems} values of one schema. */
final class ArrayNode extends Node {
    final Node items;
    final int minItems;
    final int maxItems;

    ArrayNode(Node items, int minItems, int maxItems) {
        this.items = items;
        this.minItems = minItems;
        this.maxItems = maxItems;
    }

    @Override
    void begin(int b, Stack rest, Configurations out) {
        if (b == '[') {
            out.add(new Stack(new ArrayFrame(this, ArrayFrame.OPEN, 0, 0), rest));
        }
    }

    /** Bytes that close the array once it holds {@code count} items: the missing items, their commas, "]". */
    long closing(int count) {
        int missing = Math.max(0, minItems - count);
        if (missing == 0) {
            return 1;
        }
        return add(Math.min(INFINITE, missing * (items.minBytes() + 1)) - (count == 0 ? 1 : 0), 1);
    }

    @Override
    long computeMinBytes() {
        if (minItems > 0 && items.minBytes() >= INFINITE) {
            return INFINITE;
        }
        return add(1, closing(0));
    }
}
